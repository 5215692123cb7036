"""PnL ends in the same state whether the fills or the market data were read first.

Live, ``order.event`` (primary) and ``md.tick``/``md.bar`` (broadcast) reach the PnL agent on
different topics; the backtest delivers them in event-time order. Marks follow the latest price
by event time and a new position is marked with it at once, so the final marks, unrealized and
net PnL and exposures do not depend on the interleaving (docs/pnl.md, "Marks").
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from streams.codec import AvroCodec, LocalRegistry
from streams.codec.schemas import SchemaStore
from streams.decimals import q
from streams.errors import ValueDecodeError
from streams.exchange.scenario import bar, trade_tick, venue_event
from streams.pnl.processor import PNL_STATE_SCHEMA, PnlProcessor
from streams.runtime.harness import Harness
from streams.runtime.processor import Output, Record

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def _fill(
    side: str, quantity: str, price: str, k: int, trade_id: str, *, instrument: str = "BTC-USD"
) -> Record:
    order = {
        "client_order_id": f"c-{trade_id}",
        "account": "acc",
        "strategy": "momo",
        "instrument": instrument,
        "venue": "SIM",
        "side": side,
        "quantity": q(quantity),
    }
    return venue_event(
        order,
        "FILL",
        T0 + k * SECOND,
        cumulative=quantity,
        fill_quantity=quantity,
        fill_price=price,
        trade_id=trade_id,
        fee="0.5",
    )


def _bar(k: int, close: str, instrument: str = "BTC-USD") -> Record:
    start = T0 + (k - 1) * SECOND
    return bar(
        instrument, start, open=close, high=close, low=close, close=close, volume="10",
        interval_seconds=1,
    )  # fmt: skip


def _interleavings(a: Sequence[Record], b: Sequence[Record]) -> Iterator[list[Record]]:
    """Every merge of ``a`` and ``b`` that keeps each one's own order (one topic each)."""
    if not a or not b:
        yield [*a, *b]
        return
    for rest in _interleavings(a[1:], b):
        yield [a[0], *rest]
    for rest in _interleavings(a, b[1:]):
        yield [b[0], *rest]


def _final(records: Sequence[Record]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The last pnl.update of each scope (without its envelope) and the processor's state."""
    harness = Harness(PnlProcessor(), fresh=PnlProcessor)
    last: dict[str, dict[str, Any]] = {}
    for record in records:
        for output in harness.process(record):
            if output.topic == "pnl.update":
                last[str(output.key)] = {k: v for k, v in output.value.items() if k != "envelope"}
    state = harness.state()
    state.pop("trade_ids")  # same set; the order follows the fills, which keep theirs
    return last, state


def test_one_fill_and_its_bar_in_either_order_end_in_the_same_state() -> None:
    fill, later_bar = _fill("BUY", "10", "100", 1, "t1"), _bar(2, "103")
    fill_first, bar_first = _final([fill, later_bar]), _final([later_bar, fill])
    assert fill_first == bar_first
    updates = fill_first[0]
    position = updates["acc:momo:BTC-USD"]
    # marked at the bar's close either way: 10 x (103 - 100) = 30, net 30 - 0.5
    assert (position["mark_price"], position["unrealized_pnl"]) == (q(103), q(30))
    assert (position["net_pnl"], position["gross_exposure"]) == (q("29.5"), q(1030))
    assert (updates["GLOBAL"]["high_water_mark"], updates["GLOBAL"]["drawdown"]) == (
        q("29.5"),
        q(0),
    )


def test_every_interleaving_of_fills_and_prices_ends_in_the_same_marks_and_pnl() -> None:
    fills = [
        _fill("BUY", "10", "100", 1, "t1"),
        _fill("BUY", "4", "50", 2, "t2", instrument="ETH-USD"),
        _fill("SELL", "4", "104", 3, "t3"),
        _fill("SELL", "10", "98", 5, "t4"),  # flips to short 4 at 98
    ]
    prices = [
        _bar(1, "101"),
        _bar(2, "52", "ETH-USD"),
        trade_tick("BTC-USD", "103", "1", T0 + 3 * SECOND),
        _bar(4, "49", "ETH-USD"),
        _bar(6, "97"),
    ]
    outcomes = [_final(order) for order in _interleavings(fills, prices)]
    assert len(outcomes) == 126
    updates, state = outcomes[0]
    compared = (
        *("mark_price", "quantity", "average_cost", "realized_pnl", "unrealized_pnl"),
        *("fees", "net_pnl", "gross_exposure", "net_exposure"),
    )
    for other_updates, other_state in outcomes[1:]:
        assert json.loads(other_state["positions"]) == json.loads(state["positions"])
        assert other_state["prices"] == state["prices"]
        for key, update in updates.items():
            assert {f: other_updates[key][f] for f in compared} == {f: update[f] for f in compared}
    btc, eth = updates["acc:momo:BTC-USD"], updates["acc:momo:ETH-USD"]
    # BTC: +4 x (104 - 100) + 6 x (98 - 100) = 16 - 12 = 4 realized; short 4 @ 98 marked 97
    assert (btc["quantity"], btc["realized_pnl"], btc["mark_price"]) == (q(-4), q(4), q(97))
    assert btc["unrealized_pnl"] == q(4)
    # ETH: long 4 @ 50 marked at 49 (the ETH bar at 4 s is the latest by event time)
    assert (eth["mark_price"], eth["unrealized_pnl"]) == (q(49), q(-4))
    # 4 + 4 - 4 - 4 x 0.5 fees = 2
    assert updates["GLOBAL"]["net_pnl"] == q(2)


def test_a_price_read_after_a_later_one_does_not_move_the_mark() -> None:
    harness = Harness(PnlProcessor(), fresh=PnlProcessor)
    harness.process(_fill("BUY", "10", "100", 1, "t1"))
    assert harness.process(_bar(5, "110"))  # re-marked: updates
    assert harness.process(_bar(3, "90")) == []  # older than 110: ignored
    processor = harness.processor
    assert isinstance(processor, PnlProcessor)
    assert processor.positions["acc:momo:BTC-USD"].mark == q(110)
    assert processor.stale_prices == 1


def test_a_new_position_is_marked_with_the_latest_price_not_its_fill_price() -> None:
    harness = Harness(PnlProcessor(), fresh=PnlProcessor)
    harness.process(_bar(1, "105"))
    out = harness.process(_fill("BUY", "2", "100", 2, "t1"))
    position = {str(o.key): o.value for o in out if o.topic == "pnl.update"}["acc:momo:BTC-USD"]
    assert (position["mark_price"], position["unrealized_pnl"]) == (q(105), q(10))


def test_a_flat_position_publishes_no_mark() -> None:
    harness = Harness(PnlProcessor(), fresh=PnlProcessor)
    harness.process(_fill("BUY", "2", "100", 1, "t1"))
    out = harness.process(_fill("SELL", "2", "101", 2, "t2"))
    by_topic = {(o.topic, o.key): o.value for o in out}
    update = by_topic[("pnl.update", "acc:momo:BTC-USD")]
    assert (update["quantity"], update["realized_pnl"]) == (q(0), q(2))
    assert update["mark_price"] is None
    assert by_topic[("position.snapshot", "acc:momo:BTC-USD")]["mark_price"] is None


def test_the_latest_prices_survive_snapshot_and_restore() -> None:
    records = [_bar(5, "110"), _fill("BUY", "1", "100", 1, "t1"), _bar(3, "90")]
    whole = Harness(PnlProcessor(), fresh=PnlProcessor)
    halves = Harness(PnlProcessor(), fresh=PnlProcessor)
    whole_out = [o for r in records for o in whole.process(r)]
    halves_out: list[Output] = halves.process(records[0])
    halves.state()  # the price of bar 5 is in the snapshot: bar 3 must still be ignored
    halves_out += [o for r in records[1:] for o in halves.process(r)]
    assert halves_out == whole_out
    assert whole.state() == halves.state()


def test_a_snapshot_from_before_the_prices_field_restores_without_prices() -> None:
    harness = Harness(PnlProcessor(), fresh=PnlProcessor)
    harness.process(_fill("BUY", "1", "100", 1, "t1"))
    state = harness.state()
    for older in ({k: v for k, v in state.items() if k != "prices"}, {**state, "prices": None}):
        restored = PnlProcessor()
        restored.restore(older)
        assert restored.prices == {}
        assert restored.positions["acc:momo:BTC-USD"].mark == q(100)
        out = restored.process(_bar(2, "101"))  # the next price of the instrument marks it
        assert {o.topic for o in out} == {"pnl.update", "position.snapshot"}
        assert restored.positions["acc:momo:BTC-USD"].mark == q(101)


def test_the_avro_body_of_a_snapshot_from_before_the_prices_field_is_refused_clearly() -> None:
    # the hosts decode a snapshot with the processor's current schema only (no writer schema)
    older_schema = {
        **PNL_STATE_SCHEMA,
        "fields": [f for f in PNL_STATE_SCHEMA["fields"] if f["name"] != "prices"],
    }
    store = SchemaStore.load()
    codec = AvroCodec(LocalRegistry(store), store)
    state = {"positions": "[]", "tracks": "{}", "trade_ids": ["t1"]}
    body = codec.encode_state(older_schema, state)
    with pytest.raises(ValueDecodeError, match="truncated"):
        codec.decode_state(PNL_STATE_SCHEMA, body)
