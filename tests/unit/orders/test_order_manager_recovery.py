"""Order manager: in-flight queries, reconciliation after a restore, replay mode."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from streams.decimals import q
from streams.errors import ReconciliationError
from streams.exchange.scenario import control, decision, position_answer, venue_event
from streams.orders.lifecycle import OrderStatus
from streams.orders.manager import OrderManager
from streams.orders.reconciliation import TradingMode
from streams.runtime.harness import Harness
from streams.runtime.processor import Output

START = datetime(2024, 1, 2, 14, 0, tzinfo=UTC)  # the harness clock's start


def _manager(harness: Harness) -> OrderManager:
    assert isinstance(harness.processor, OrderManager)
    return harness.processor


def _mode(harness: Harness) -> TradingMode:
    return _manager(harness).mode


def _commands(outputs: list[Output]) -> list[tuple[str, str]]:
    return [(o.value["command"], o.value["client_order_id"]) for o in outputs]


def _at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def _answer_positions(
    harness: Harness, sent: list[Output], positions: dict[str, Any]
) -> list[Output]:
    """Answer the POSITIONS command among ``sent`` with ``positions``; the manager's outputs."""
    (command,) = [o.value for o in sent if o.value["command"] == "POSITIONS"]
    outputs: list[Output] = []
    for record in position_answer(command, positions):
        outputs.extend(harness.process(record))
    return outputs


def _open_order(harness: Harness, number: int, at: float) -> dict[str, Any]:
    out = harness.process(decision(at=_at(at), number=number))
    assert _commands(out)[0][0] == "NEW"
    return out[0].value


def test_no_ack_within_the_timeout_queries_the_venue(make_manager: Callable[..., Harness]) -> None:
    harness = make_manager(ack_timeout_seconds=5.0)
    acked = _open_order(harness, 0, at=0.0)
    silent = _open_order(harness, 1, at=0.0)
    harness.process(venue_event(acked, "ACK", _at(0.1)))
    # the timer at 1 s starts the wait; nothing until 5 s later
    assert harness.advance(5.0) == []  # timers up to 5 s
    queries = harness.advance(1.0)  # the timer at 6 s
    assert _commands(queries) == [("QUERY", silent["client_order_id"])]
    # the venue's answer books the ack; no more queries
    harness.process(venue_event(silent, "STATUS", _at(5.2), order_status="ACKNOWLEDGED", number=1))
    assert _manager(harness).orders[silent["client_order_id"]].status is OrderStatus.ACKNOWLEDGED
    assert harness.advance(30.0) == []


def test_an_unanswered_query_is_repeated_every_timeout(
    make_manager: Callable[..., Harness],
) -> None:
    harness = make_manager(ack_timeout_seconds=2.0)
    silent = _open_order(harness, 0, at=0.0)
    queries = harness.advance(7.0)  # the wait starts at 1 s: queries at 3, 5 and 7 s
    assert _commands(queries) == [("QUERY", silent["client_order_id"])] * 3
    assert len({q.value["envelope"]["event_id"] for q in queries}) == 3


def _restored_with_open_order(
    make_manager: Callable[..., Harness],
) -> tuple[Harness, dict[str, Any]]:
    harness = make_manager(ack_timeout_seconds=3600.0, reconcile_timeout_seconds=10.0)
    cmd = _open_order(harness, 0, at=0.0)
    harness.process(venue_event(cmd, "ACK", _at(0.1)))
    harness.process(
        venue_event(
            cmd,
            "PARTIAL_FILL",
            _at(0.2),
            cumulative=4,
            fill_quantity=4,
            fill_price=100,
            trade_id="t1",
        )
    )
    harness.state()  # the crash: a fresh manager restored from the snapshot
    return harness, cmd


def test_reconciliation_books_fills_and_closes_the_venue_reports(
    make_manager: Callable[..., Harness],
) -> None:
    harness, cmd = _restored_with_open_order(make_manager)
    # an approval arriving before the venue answered is held, not sent
    assert harness.process(decision(at=_at(0.3), number=1)) == []
    assert _mode(harness) is TradingMode.RECONCILING
    queries = harness.advance(1.0)
    assert _commands(queries)[0] == ("QUERY", cmd["client_order_id"])
    assert [c for c, _ in _commands(queries)] == ["QUERY", "POSITIONS"]
    # while we were down the order filled completely at the venue
    assert (
        harness.process(
            venue_event(cmd, "STATUS", _at(1.5), cumulative=10, order_status="FILLED", number=2)
        )
        == []
    )
    # the venue's position includes the missed fill, which the STATUS answer booked
    released = _answer_positions(harness, queries, {"BTC-USD": 10})
    manager = _manager(harness)
    order = manager.orders[cmd["client_order_id"]]
    assert (order.status, order.filled) == (OrderStatus.FILLED, q(10))
    assert manager.counters["reconciled_fills"] == 1
    assert manager.counters["reconciled_closes"] == 1
    assert _mode(harness) is TradingMode.ACTIVE
    assert manager.refusal() is None
    assert [c for c, _ in _commands(released)] == ["NEW"]  # the held approval goes out


def test_an_unanswered_reconciliation_refuses_trading_with_a_clear_message(
    make_manager: Callable[..., Harness],
) -> None:
    harness, cmd = _restored_with_open_order(make_manager)
    sent = harness.advance(1.0)  # the timer at 1 s queries; answers are due by 11 s
    assert harness.advance(9.5) == []  # timers up to 10 s
    assert _mode(harness) is TradingMode.RECONCILING
    harness.advance(0.5)  # the timer at 11 s
    manager = _manager(harness)
    assert _mode(harness) is TradingMode.REFUSING
    error = manager.refusal()
    assert isinstance(error, ReconciliationError)
    assert cmd["client_order_id"] in str(error)
    assert "no answer from the venue" in str(error)
    assert harness.process(decision(at=_at(12), number=5)) == []
    assert manager.counters["refused_approvals"] == 1
    assert "no position report from the venue for account acc at SIM" in str(error)
    # late answers resolve it; trading resumes
    harness.process(
        venue_event(cmd, "STATUS", _at(13), cumulative=4, order_status="PARTIALLY_FILLED", number=3)
    )
    assert _mode(harness) is TradingMode.REFUSING  # the positions are still unanswered
    _answer_positions(harness, sent, {"BTC-USD": 4})
    assert _mode(harness) is TradingMode.ACTIVE
    assert [c for c, _ in _commands(harness.process(decision(at=_at(14), number=6)))] == ["NEW"]


def test_a_venue_reporting_fewer_fills_is_a_mismatch_until_an_operator_clears(
    make_manager: Callable[..., Harness],
) -> None:
    harness, cmd = _restored_with_open_order(make_manager)
    sent = harness.advance(1.0)
    harness.process(
        venue_event(
            cmd, "STATUS", _at(1.5), cumulative=2, order_status="PARTIALLY_FILLED", number=2
        )
    )
    _answer_positions(harness, sent, {"BTC-USD": 4})  # positions agree; the order does not
    manager = _manager(harness)
    assert _mode(harness) is TradingMode.RECONCILING
    harness.advance(9.5)  # timers up to 11 s: the mismatch (seen at 1.5 s) is 9.5 s old
    assert _mode(harness) is TradingMode.RECONCILING
    harness.advance(1.0)  # the timer at 12 s: unresolved past the 10 s reconcile timeout
    assert _mode(harness) is TradingMode.REFUSING
    assert "reports 2.000000000 filled, we booked 4.000000000" in str(manager.refusal())
    harness.process(control("CLEAR_HALT", "GLOBAL", _at(20)))
    assert _mode(harness) is TradingMode.ACTIVE
    assert manager.counters["operator_overrides"] == 1


def test_an_order_the_venue_never_got_is_submitted_again(
    make_manager: Callable[..., Harness],
) -> None:
    harness = make_manager(ack_timeout_seconds=3600.0)
    cmd = _open_order(harness, 0, at=0.0)
    harness.state()
    sent = harness.advance(1.0)
    again = harness.process(venue_event(cmd, "STATUS", _at(1.5), order_status="UNKNOWN"))
    assert _commands(again) == [("NEW", cmd["client_order_id"])]
    assert again[0].value["envelope"]["event_id"] != cmd["envelope"]["event_id"]
    assert _answer_positions(harness, sent, {}) == []
    assert _mode(harness) is TradingMode.ACTIVE


def test_replay_mode_never_sends_to_a_real_venue(make_manager: Callable[..., Harness]) -> None:
    harness = make_manager(replay_mode=True, venues={"AAPL": "NASDAQ"})
    assert harness.process(decision(at=_at(0), instrument="AAPL")) == []
    sim = harness.process(decision(at=_at(0), number=1))
    assert _commands(sim)[0][0] == "NEW"
    # a kill would cancel both; the real venue's cancel is suppressed too
    cancels = harness.process(control("KILL", "GLOBAL", _at(1)))
    assert [o.value["venue"] for o in cancels] == ["SIM"]
    assert _manager(harness).counters["suppressed_commands"] == 2


@pytest.mark.parametrize("replay_mode", [False, True])
def test_live_mode_sends_to_the_configured_venue(
    make_manager: Callable[..., Harness], replay_mode: bool
) -> None:
    harness = make_manager(replay_mode=replay_mode, venues={"AAPL": "NASDAQ"})
    sent = harness.process(decision(at=_at(0), instrument="AAPL"))
    assert [o.value["venue"] for o in sent] == ([] if replay_mode else ["NASDAQ"])
