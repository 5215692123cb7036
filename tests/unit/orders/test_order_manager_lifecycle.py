"""Order manager: approvals to orders, the lifecycle state machine, fills and kill switch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from streams.decimals import q
from streams.errors import ProcessingError
from streams.exchange.scenario import control, decision, position_answer, venue_event
from streams.orders.lifecycle import OrderStatus, client_order_id
from streams.orders.manager import OrderManager
from streams.orders.reconciliation import TradingMode
from streams.runtime.harness import Harness

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


@pytest.fixture
def make_quiet_manager(make_manager: Callable[..., Harness]) -> Callable[..., Harness]:
    """Managers whose in-flight check stays quiet (an hour to acknowledge)."""
    return lambda **config: make_manager(ack_timeout_seconds=3600.0, **config)


def _manager(harness: Harness) -> OrderManager:
    assert isinstance(harness.processor, OrderManager)
    return harness.processor


def _submit(harness: Harness, number: int = 0, **fields: Any) -> dict[str, Any]:
    out = harness.process(decision(at=T0 + timedelta(seconds=number), number=number, **fields))
    assert len(out) == 1
    assert out[0].topic == "order.command"
    return out[0].value


def _status(harness: Harness, command: dict[str, Any]) -> OrderStatus:
    return _manager(harness).orders[command["client_order_id"]].status


def test_an_approval_becomes_a_new_command_with_a_derived_client_order_id(
    make_quiet_manager: Callable[..., Harness],
) -> None:
    harness = make_quiet_manager()
    record = decision(at=T0)
    command = harness.process(record)[0]
    assert command.key == "acc"
    assert command.value["command"] == "NEW"
    assert command.value["venue"] == "SIM"
    assert command.value["client_order_id"] == client_order_id(record.value["envelope"]["event_id"])
    assert command.value["decision_id"] == record.value["envelope"]["event_id"]


def test_a_rejected_decision_is_refused(make_quiet_manager: Callable[..., Harness]) -> None:
    misrouted = replace(decision(at=T0, outcome="REJECTED"), topic="risk.approved")
    with pytest.raises(ProcessingError, match="approvals only"):
        make_quiet_manager().process(misrouted)


def test_a_decision_from_another_topic_is_refused(
    make_quiet_manager: Callable[..., Harness],
) -> None:
    with pytest.raises(ProcessingError, match=r"does not consume topic 'risk\.rejected'"):
        make_quiet_manager().process(decision(at=T0, outcome="REJECTED"))


def test_a_reprocessed_approval_never_creates_a_second_order(
    make_quiet_manager: Callable[..., Harness],
) -> None:
    harness = make_quiet_manager()
    record = decision(at=T0)
    assert len(harness.process(record)) == 1
    assert harness.process(record) == []
    harness.state()  # and after a restore too
    assert harness.process(record) == []
    assert _manager(harness).counters["duplicate_approvals"] == 2
    assert _manager(harness).counters["commands_new"] == 1


def test_full_lifecycle_with_partial_fills(make_quiet_manager: Callable[..., Harness]) -> None:
    harness = make_quiet_manager()
    cmd = _submit(harness)
    assert _status(harness, cmd) is OrderStatus.NEW
    harness.process(venue_event(cmd, "ACK", T0))
    assert _status(harness, cmd) is OrderStatus.ACKNOWLEDGED
    harness.process(
        venue_event(
            cmd, "PARTIAL_FILL", T0, cumulative=4, fill_quantity=4, fill_price=100, trade_id="t1"
        )
    )
    assert _status(harness, cmd) is OrderStatus.PARTIALLY_FILLED
    harness.process(
        venue_event(
            cmd, "PARTIAL_FILL", T0, cumulative=7, fill_quantity=3, fill_price=100, trade_id="t2"
        )
    )
    harness.process(
        venue_event(cmd, "FILL", T0, cumulative=10, fill_quantity=3, fill_price=101, trade_id="t3")
    )
    order = _manager(harness).orders[cmd["client_order_id"]]
    assert (order.status, order.filled, order.leaves) == (OrderStatus.FILLED, q(10), q(0))


@pytest.mark.parametrize(
    ("kind", "status"),
    [("CANCELED", OrderStatus.CANCELED), ("EXPIRED", OrderStatus.EXPIRED)],
)
def test_cancel_or_expiry_after_a_partial_fill(
    make_quiet_manager: Callable[..., Harness], kind: str, status: OrderStatus
) -> None:
    harness = make_quiet_manager()
    cmd = _submit(harness)
    harness.process(venue_event(cmd, "ACK", T0))
    harness.process(
        venue_event(
            cmd, "PARTIAL_FILL", T0, cumulative=4, fill_quantity=4, fill_price=1, trade_id="t1"
        )
    )
    harness.process(venue_event(cmd, kind, T0, cumulative=4))
    order = _manager(harness).orders[cmd["client_order_id"]]
    assert (order.status, order.filled) == (status, q(4))


def test_a_fill_before_the_ack_is_accepted(make_quiet_manager: Callable[..., Harness]) -> None:
    harness = make_quiet_manager()
    cmd = _submit(harness)
    harness.process(
        venue_event(cmd, "FILL", T0, cumulative=10, fill_quantity=10, fill_price=1, trade_id="t1")
    )
    assert _status(harness, cmd) is OrderStatus.FILLED


def test_rejected_by_the_venue(make_quiet_manager: Callable[..., Harness]) -> None:
    harness = make_quiet_manager()
    cmd = _submit(harness)
    harness.process(venue_event(cmd, "REJECTED", T0))
    assert _status(harness, cmd) is OrderStatus.REJECTED


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("FILL", "ACK"),
        ("CANCELED", "FILL"),
        ("REJECTED", "CANCELED"),
        ("EXPIRED", "PARTIAL_FILL"),
        ("ACK", "ACK"),
    ],
)
def test_illegal_transitions_are_refused_and_counted(
    make_quiet_manager: Callable[..., Harness], first: str, then: str
) -> None:
    harness = make_quiet_manager()
    cmd = _submit(harness)
    fill: dict[str, Any] = {"fill_quantity": 10, "fill_price": 1, "cumulative": 10}
    harness.process(venue_event(cmd, first, T0, trade_id="t1", **(fill if "FILL" in first else {})))
    before = _status(harness, cmd)
    harness.process(
        venue_event(cmd, then, T0, trade_id="t2", number=1, **(fill if "FILL" in then else {}))
    )
    assert _status(harness, cmd) is before
    assert _manager(harness).counters["illegal_transitions"] == 1


def test_a_partial_fill_after_a_partial_fill_is_legal(
    make_quiet_manager: Callable[..., Harness],
) -> None:
    harness = make_quiet_manager()
    cmd = _submit(harness)
    for n in range(3):
        harness.process(
            venue_event(
                cmd,
                "PARTIAL_FILL",
                T0,
                cumulative=n + 1,
                fill_quantity=1,
                fill_price=1,
                trade_id=f"t{n}",
                number=n,
            )
        )
    assert _manager(harness).counters["illegal_transitions"] == 0
    assert _manager(harness).orders[cmd["client_order_id"]].filled == q(3)


def test_a_duplicate_fill_is_dropped_by_trade_id(
    make_quiet_manager: Callable[..., Harness],
) -> None:
    harness = make_quiet_manager()
    cmd = _submit(harness)
    fill = venue_event(
        cmd, "PARTIAL_FILL", T0, cumulative=4, fill_quantity=4, fill_price=1, trade_id="t1"
    )
    harness.process(fill)
    harness.process(fill)
    manager = _manager(harness)
    assert manager.orders[cmd["client_order_id"]].filled == q(4)
    assert manager.counters["duplicate_fills"] == 1


def test_an_overfill_is_flagged_and_counted(make_quiet_manager: Callable[..., Harness]) -> None:
    harness = make_quiet_manager()
    cmd = _submit(harness)
    harness.process(
        venue_event(
            cmd, "PARTIAL_FILL", T0, cumulative=8, fill_quantity=8, fill_price=1, trade_id="t1"
        )
    )
    harness.process(
        venue_event(cmd, "FILL", T0, cumulative=12, fill_quantity=4, fill_price=1, trade_id="t2")
    )
    order = _manager(harness).orders[cmd["client_order_id"]]
    assert order.overfilled
    assert order.filled == q(12)
    assert _manager(harness).counters["overfills"] == 1


def test_events_of_unknown_orders_are_counted(make_quiet_manager: Callable[..., Harness]) -> None:
    harness = make_quiet_manager()
    stranger = {
        "client_order_id": "elsewhere",
        "account": "acc",
        "strategy": "s",
        "instrument": "X",
        "venue": "SIM",
        "side": "BUY",
        "quantity": q(1),
    }
    harness.process(venue_event(stranger, "ACK", T0))
    assert _manager(harness).counters["unknown_order_events"] == 1


def test_kill_switch_cancels_open_orders_and_sends_no_new_ones(
    make_quiet_manager: Callable[..., Harness],
) -> None:
    harness = make_quiet_manager()
    open_cmd = _submit(harness, 0)
    other_cmd = _submit(harness, 1, strategy="other")
    done = _submit(harness, 2)
    harness.process(venue_event(open_cmd, "ACK", T0))
    harness.process(
        venue_event(done, "FILL", T0, cumulative=10, fill_quantity=10, fill_price=1, trade_id="t")
    )
    cancels = harness.process(control("KILL", "STRATEGY", T0 + timedelta(seconds=5), target="momo"))
    assert [(c.value["command"], c.value["client_order_id"]) for c in cancels] == [
        ("CANCEL", open_cmd["client_order_id"])
    ]
    assert harness.process(decision(at=T0 + timedelta(seconds=6), number=6)) == []
    assert _manager(harness).counters["killed_approvals"] == 1
    assert _submit(harness, 7, strategy="other")["command"] == "NEW"
    assert _status(harness, other_cmd) is OrderStatus.NEW
    # a wider KILL cancels what is still open, but never the same order twice
    wider = harness.process(control("KILL", "GLOBAL", T0 + timedelta(seconds=8)))
    assert open_cmd["client_order_id"] not in {c.value["client_order_id"] for c in wider}
    assert {c.value["command"] for c in wider} == {"CANCEL"}
    harness.process(control("RESUME", "GLOBAL", T0 + timedelta(seconds=9)))
    harness.process(
        control("RESUME", "STRATEGY", T0 + timedelta(seconds=9), target="momo", number=1)
    )
    assert _submit(harness, 10)["command"] == "NEW"


def test_continuing_after_restore_equals_an_uninterrupted_run(
    make_quiet_manager: Callable[..., Harness],
) -> None:
    whole, halves = make_quiet_manager(), make_quiet_manager()
    first = decision(at=T0, number=0)
    whole.process(first)
    cmd = halves.process(first)[0].value
    settle = [
        venue_event(cmd, "ACK", T0),
        venue_event(cmd, "FILL", T0, cumulative=10, fill_quantity=10, fill_price=1, trade_id="t"),
    ]
    for record in settle:
        assert whole.process(record) == halves.process(record) == []
    halves.state()  # every order is closed; the position is reconciled after the restore
    assert whole.advance(1.0) == []
    (positions,) = halves.advance(1.0)
    assert positions.value["command"] == "POSITIONS"
    for record in position_answer(positions.value, {"BTC-USD": 10}):
        assert halves.process(record) == []
    assert _manager(halves).mode is TradingMode.ACTIVE
    rest = [decision(at=T0, number=1), decision(at=T0, number=2, side="SELL"), first]
    for record in rest:
        assert whole.process(record) == halves.process(record)
    a, b = whole.state(), halves.state()
    assert (a["orders"], a["positions"]) == (b["orders"], b["positions"])
