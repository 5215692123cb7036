"""The venue port implementations: the simulated exchange in process and the paper venue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from streams.decimals import q
from streams.errors import ProcessingError
from streams.exchange.config import parse_exchange_config
from streams.exchange.scenario import order_command, trade_tick
from streams.orders.paper_venue import PaperVenue
from streams.orders.positions import ALL, positions_command
from streams.orders.venue import SimulatedVenue, VenuePort, dispatch

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


def _kinds(events: list[dict[str, object]]) -> list[object]:
    return [e["kind"] for e in events]


def test_the_simulated_venue_routes_commands_and_matches_fed_market_data() -> None:
    port: VenuePort = SimulatedVenue(parse_exchange_config({"max_volume_share": "0.5"}))
    assert (port.venue, port.simulated) == ("SIM", True)
    assert _kinds(dispatch(port, order_command("NEW", "c1", T0, quantity=10).value)) == ["ACK"]
    assert isinstance(port, SimulatedVenue)
    fills = port.feed("md.tick", trade_tick("BTC-USD", "100", "8", T0).value)
    assert [(e["kind"], e["fill_quantity"]) for e in fills] == [("PARTIAL_FILL", q(4))]
    (status,) = port.open_orders()
    assert (status["kind"], status["order_status"], status["leaves_quantity"]) == (
        "STATUS",
        "PARTIALLY_FILLED",
        q(6),
    )
    query = dispatch(port, order_command("QUERY", "c1", T0 + timedelta(seconds=1)).value)
    assert query[0]["cumulative_quantity"] == q(4)
    cancel = dispatch(port, order_command("CANCEL", "c1", T0 + timedelta(seconds=2)).value)
    assert _kinds(cancel) == ["CANCELED"]
    assert port.open_orders() == []


def test_the_simulated_venue_checks_the_command_kind() -> None:
    port = SimulatedVenue()
    with pytest.raises(ProcessingError, match="expected a CANCEL command"):
        port.cancel(order_command("NEW", "c1", T0).value)


def test_paper_market_orders_fill_at_the_last_price_given() -> None:
    port: VenuePort = PaperVenue(fee_bps=Decimal(10))
    rejected = port.submit(order_command("NEW", "c0", T0).value)
    assert [(e["kind"], e["reason"]) for e in rejected] == [
        ("REJECTED", "NO_PRICE: no price given yet")
    ]
    assert isinstance(port, PaperVenue)
    port.mark("md.tick", trade_tick("BTC-USD", "250", "1", T0).value)
    events = port.submit(order_command("NEW", "c1", T0, quantity=4, side="SELL").value)
    assert _kinds(events) == ["ACK", "FILL"]
    # 4 x 250 x 10 / 10000 = 1
    assert (events[1]["fill_price"], events[1]["fee"]) == (q(250), q(1))
    assert port.open_orders() == []


def test_paper_limit_orders_rest_until_the_price_reaches_them() -> None:
    port = PaperVenue()
    port.mark("md.tick", trade_tick("BTC-USD", "100", "1", T0).value)
    limit = order_command("NEW", "c1", T0, order_type="LIMIT", limit_price="99", quantity=2)
    assert _kinds(port.submit(limit.value)) == ["ACK"]
    assert len(port.open_orders()) == 1
    assert port.mark("md.tick", trade_tick("BTC-USD", "99.5", "1", T0).value) == []
    fills = port.mark("md.tick", trade_tick("BTC-USD", "98", "1", T0).value)
    assert [(e["kind"], e["fill_price"]) for e in fills] == [("FILL", q(98))]
    again = port.submit(limit.value)
    assert [(e["kind"], e["reason"]) for e in again] == [("STATUS", "DUPLICATE_CLIENT_ORDER_ID")]


def test_paper_ioc_and_fok_that_cannot_fill_expire() -> None:
    port = PaperVenue()
    port.mark("md.tick", trade_tick("BTC-USD", "100", "1", T0).value)
    for tif in ("IOC", "FOK"):
        command = order_command(
            "NEW", f"c-{tif}", T0, order_type="LIMIT", limit_price="90", time_in_force=tif
        )
        assert _kinds(port.submit(command.value)) == ["ACK", "EXPIRED"]


def test_paper_cancel_and_query() -> None:
    port = PaperVenue()
    port.mark("md.tick", trade_tick("BTC-USD", "100", "1", T0).value)
    command = order_command("NEW", "c1", T0, order_type="LIMIT", limit_price="90")
    port.submit(command.value)
    assert _kinds(port.cancel(order_command("CANCEL", "c1", T0).value)) == ["CANCELED"]
    late = port.cancel(order_command("CANCEL", "c1", T0).value)
    assert late[0]["reason"] == "CANCEL_REJECTED: order is CANCELED"
    unknown = port.query(order_command("QUERY", "nope", T0).value)
    assert unknown[0]["order_status"] == "UNKNOWN"
    assert port.query(order_command("QUERY", "c1", T0).value)[0]["order_status"] == "CANCELED"


def _positions(port: VenuePort, account: str, at: datetime) -> list[tuple[object, object]]:
    command = positions_command(account, port.venue, f"POS-{account}", at, "test")
    return [(e["instrument"], e["position_quantity"]) for e in dispatch(port, command)]


def test_the_simulated_venue_reports_net_positions() -> None:
    port = SimulatedVenue()
    dispatch(port, order_command("NEW", "c1", T0, quantity=10).value)
    dispatch(port, order_command("NEW", "c2", T0, quantity=3, side="SELL").value)
    port.feed("md.tick", trade_tick("BTC-USD", "100", "0", T0 + timedelta(seconds=1)).value)
    assert port.positions("acc") == {"BTC-USD": q(7)}
    assert _positions(port, "acc", T0) == [("BTC-USD", q(7)), (ALL, None)]
    assert _positions(port, "nobody", T0) == [(ALL, None)]


def test_the_paper_venue_reports_net_positions() -> None:
    port = PaperVenue()
    port.mark("md.tick", trade_tick("BTC-USD", "250", "1", T0).value)
    port.submit(order_command("NEW", "c1", T0, quantity=4, side="SELL").value)
    port.submit(order_command("NEW", "c2", T0, quantity=1).value)
    assert port.positions("acc") == {"BTC-USD": q(-3)}
    assert _positions(port, "acc", T0) == [("BTC-USD", q(-3)), (ALL, None)]
    # a POSITIONS command for another venue is not this port's to answer
    other = positions_command("acc", "SIM", "POS-x", T0, "test")
    assert dispatch(port, other) == []
