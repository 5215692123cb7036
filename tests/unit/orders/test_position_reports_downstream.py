"""Readers of order.event ignore the venue's POSITION reports: PnL, the risk gate, the sink."""

from __future__ import annotations

from datetime import UTC, datetime

from streams.codec import AvroCodec, LocalRegistry
from streams.codec.schemas import SchemaStore
from streams.decimals import q
from streams.exchange.scenario import position_answer
from streams.orders.positions import positions_command
from streams.pnl.processor import PnlProcessor
from streams.risk.config import parse_risk_config
from streams.risk.gate import RiskGate
from streams.runtime.processor import Record
from streams.sink.rows import rows_for

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


def _report() -> list[Record]:
    command = positions_command("acc", "SIM", "POS-1", T0, "order_manager")
    return position_answer(command, {"BTC-USD": 7, "ETH-USD": -2})


def test_a_position_report_round_trips_through_the_order_event_schema() -> None:
    store = SchemaStore.load()
    codec = AvroCodec(LocalRegistry(store), store)
    for record in _report():
        encoded = codec.encode_value("order.event", "order.event", record.value)
        assert codec.decode_value(encoded, "order.event") == record.value
    assert [r.value["position_quantity"] for r in _report()] == [q(7), q(-2), None]


def test_pnl_ignores_position_reports() -> None:
    pnl = PnlProcessor()
    for record in _report():
        assert pnl.process(record) == []
    assert pnl.positions == {}


def test_the_risk_book_ignores_position_reports() -> None:
    gate = RiskGate(parse_risk_config({}))
    for record in _report():
        assert gate.process(record) == []
    assert gate.book.positions == {}
    assert gate.book.open_orders == {}


def test_the_sink_stores_no_rows_for_position_reports() -> None:
    for record in _report():
        assert rows_for(record.value) == []
