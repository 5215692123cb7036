"""The simulated exchange's net positions per account and instrument, and its POSITIONS answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from streams.decimals import q
from streams.exchange.scenario import order_command, trade_tick
from streams.exchange.simulator import SimExchange
from streams.orders.positions import ALL, positions_command
from streams.runtime.harness import Harness
from streams.runtime.processor import Record

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _sim(harness: Harness) -> SimExchange:
    assert isinstance(harness.processor, SimExchange)
    return harness.processor


def _report(harness: Harness, account: str, at: float, venue: str = "SIM") -> list[Any]:
    command = positions_command(account, venue, f"POS-{account}-{at}", _at(at), "test")
    record = Record(topic="order.command", key=account, value=command)
    return [o.value for o in harness.process(record)]


def _trade(harness: Harness) -> None:
    """acc buys 10 and sells 4 BTC-USD, other buys 2 ETH-USD: all filled."""
    harness.process(order_command("NEW", "b1", _at(0), quantity=10))
    harness.process(order_command("NEW", "s1", _at(0), quantity=4, side="SELL"))
    harness.process(
        order_command("NEW", "e1", _at(0), quantity=2, instrument="ETH-USD", account="other")
    )
    harness.process(trade_tick("BTC-USD", "100", "0", _at(1)))
    harness.process(trade_tick("ETH-USD", "10", "0", _at(1)))


def test_fills_move_the_net_position_of_the_account(make_exchange: Callable[..., Harness]) -> None:
    sim = make_exchange()
    _trade(sim)
    assert _sim(sim).positions_of("acc") == {"BTC-USD": q(6)}
    assert _sim(sim).positions_of("other") == {"ETH-USD": q(2)}
    assert _sim(sim).positions_of("nobody") == {}


def test_positions_are_answered_per_account_with_an_end_marker(
    make_exchange: Callable[..., Harness],
) -> None:
    sim = make_exchange(latency_ms=50)
    _trade(sim)
    report = _report(sim, "acc", 2)
    assert [(e["kind"], e["instrument"], e["position_quantity"]) for e in report] == [
        ("POSITION", "BTC-USD", q(6)),
        ("POSITION", ALL, None),
    ]
    assert {e["client_order_id"] for e in report} == {"POS-acc-2"}
    assert report[0]["envelope"]["event_time"] == _at(2.05)
    assert report[1]["reason"] == "END_OF_POSITIONS: 1"
    assert len({e["envelope"]["event_id"] for e in report}) == 2
    # a short position is negative; a flat account reports the marker only
    sim.process(order_command("NEW", "s2", _at(3), quantity=8, side="SELL"))
    sim.process(trade_tick("BTC-USD", "100", "0", _at(4)))
    (short, _) = _report(sim, "acc", 5)
    assert (short["position_quantity"], short["side"], short["order_quantity"]) == (
        q(-2),
        "SELL",
        q(2),
    )
    assert [e["instrument"] for e in _report(sim, "nobody", 5)] == [ALL]


def test_positions_of_another_venue_are_not_answered(
    make_exchange: Callable[..., Harness],
) -> None:
    sim = make_exchange()
    _trade(sim)
    assert _report(sim, "acc", 2, venue="PAPER") == []


def test_positions_survive_snapshot_and_restore(make_exchange: Callable[..., Harness]) -> None:
    sim = make_exchange()
    _trade(sim)
    state = sim.state()  # the harness checks snapshot == snapshot after restore
    assert json.loads(state["positions"]) == [
        ["acc", "BTC-USD", "6.000000000"],
        ["other", "ETH-USD", "2.000000000"],
    ]
    assert _sim(sim).positions_of("acc") == {"BTC-USD": q(6)}
    # an older snapshot without positions: rebuilt from the orders it kept
    old = dict(state, positions="")
    fresh = SimExchange(_sim(sim).config)
    fresh.restore(old)
    assert fresh.positions_of("acc") == {"BTC-USD": q(6)}
    assert fresh.positions_of("other") == {"ETH-USD": q(2)}
