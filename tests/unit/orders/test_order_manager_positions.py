"""Order manager: position reconciliation with the venue after a restore."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from streams.decimals import q
from streams.errors import ReconciliationError
from streams.exchange.scenario import control, decision, position_answer, venue_event
from streams.orders.manager import OrderManager, OrderManagerConfig
from streams.orders.positions import ALL, PositionLedger
from streams.orders.reconciliation import TradingMode
from streams.runtime.harness import Harness
from streams.runtime.processor import Output, Record

START = datetime(2024, 1, 2, 14, 0, tzinfo=UTC)  # the harness clock's start


def _at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def _manager(harness: Harness) -> OrderManager:
    assert isinstance(harness.processor, OrderManager)
    return harness.processor


def _kinds(outputs: list[Output]) -> list[str]:
    return [str(o.value["command"]) for o in outputs]


def _positions_request(outputs: list[Output]) -> dict[str, Any]:
    (command,) = [o.value for o in outputs if o.value["command"] == "POSITIONS"]
    return command


def _answer(harness: Harness, records: list[Record]) -> list[Output]:
    outputs: list[Output] = []
    for record in records:
        outputs.extend(harness.process(record))
    return outputs


def _filled(harness: Harness, number: int, quantity: int, side: str = "BUY") -> dict[str, Any]:
    cmd = harness.process(decision(at=_at(0), number=number, side=side, quantity=quantity))[0]
    value = cmd.value
    harness.process(venue_event(value, "ACK", _at(0.1), number=number))
    harness.process(
        venue_event(
            value,
            "FILL",
            _at(0.2),
            cumulative=quantity,
            fill_quantity=quantity,
            fill_price=100,
            trade_id=f"t{number}",
            number=number,
        )
    )
    return value


def _restored_with_position(make_manager: Callable[..., Harness]) -> Harness:
    """Bought 10, sold 3 (both filled): net +7 BTC-USD on account acc at SIM; then a crash."""
    harness = make_manager(ack_timeout_seconds=3600.0, reconcile_timeout_seconds=10.0)
    _filled(harness, 0, 10)
    _filled(harness, 1, 3, side="SELL")
    assert _manager(harness).ledger.of("acc", "SIM") == {"BTC-USD": q(7)}
    harness.state()  # the crash: a fresh manager restored from the snapshot
    return harness


def test_positions_that_agree_with_the_venue_let_trading_resume(
    make_manager: Callable[..., Harness],
) -> None:
    harness = _restored_with_position(make_manager)
    # no open order, but a position: the manager reconciles before trading
    assert harness.process(decision(at=_at(0.5), number=2)) == []
    assert _manager(harness).mode is TradingMode.RECONCILING
    sent = harness.advance(1.0)
    assert _kinds(sent) == ["POSITIONS"]
    request = _positions_request(sent)
    assert (request["account"], request["venue"]) == ("acc", "SIM")
    assert (request["strategy"], request["instrument"]) == (ALL, ALL)
    assert request["client_order_id"].startswith("POS-")
    released = _answer(harness, position_answer(request, {"BTC-USD": 7}))
    manager = _manager(harness)
    assert manager.mode is TradingMode.ACTIVE
    assert manager.refusal() is None
    assert _kinds(released) == ["NEW"]  # the held approval goes out
    assert manager.counters["reconciled_positions"] == 1
    assert manager.counters["unknown_order_events"] == 0


def test_a_difference_explained_by_a_missed_fill_is_booked(
    make_manager: Callable[..., Harness],
) -> None:
    harness = make_manager(ack_timeout_seconds=3600.0, reconcile_timeout_seconds=10.0)
    cmd = harness.process(decision(at=_at(0)))[0].value
    harness.process(venue_event(cmd, "ACK", _at(0.1)))
    harness.process(
        venue_event(
            cmd, "PARTIAL_FILL", _at(0.2), cumulative=4, fill_quantity=4, fill_price=1, trade_id="a"
        )
    )
    harness.state()
    sent = harness.advance(1.0)
    assert _kinds(sent) == ["QUERY", "POSITIONS"]
    # the position report (10) arrives before the order's STATUS: compared only once every
    # query is answered, so the fill the STATUS books explains the difference
    assert _answer(harness, position_answer(_positions_request(sent), {"BTC-USD": 10})) == []
    assert _manager(harness).mode is TradingMode.RECONCILING
    harness.process(
        venue_event(cmd, "STATUS", _at(1.5), cumulative=10, order_status="FILLED", number=2)
    )
    manager = _manager(harness)
    assert manager.mode is TradingMode.ACTIVE
    assert manager.ledger.of("acc", "SIM") == {"BTC-USD": q(10)}
    assert manager.counters["reconciled_fills"] == 1
    assert manager.counters["position_mismatches"] == 0


def test_a_position_mismatch_refuses_trading_with_a_clear_message(
    make_manager: Callable[..., Harness],
) -> None:
    harness = _restored_with_position(make_manager)
    request = _positions_request(harness.advance(1.0))
    _answer(harness, position_answer(request, {"BTC-USD": 5, "ETH-USD": -2}))
    manager = _manager(harness)
    assert manager.mode is TradingMode.REFUSING  # at once: no later event can explain it
    error = manager.refusal()
    assert isinstance(error, ReconciliationError)
    text = str(error)
    assert (
        "position of account acc in BTC-USD at SIM: the venue reports 5.000000000, "
        "we booked 7.000000000" in text
    )
    assert "ETH-USD at SIM: the venue reports -2.000000000, we booked 0E-9" in text
    assert "CLEAR_HALT GLOBAL" in text
    assert harness.process(decision(at=_at(2), number=5)) == []
    assert manager.counters["refused_approvals"] == 1
    # the state survives a restart: still refusing, with the same text
    harness.state()
    assert str(_manager(harness).refusal()) == text
    # the operator accepts the venue's view
    harness.process(control("CLEAR_HALT", "GLOBAL", _at(20)))
    manager = _manager(harness)
    assert manager.mode is TradingMode.ACTIVE
    assert manager.ledger.of("acc", "SIM") == {"BTC-USD": q(5), "ETH-USD": q(-2)}
    assert _kinds(harness.process(decision(at=_at(21), number=6))) == ["NEW"]


def test_no_position_report_within_the_timeout_refuses_trading(
    make_manager: Callable[..., Harness],
) -> None:
    harness = _restored_with_position(make_manager)
    request = _positions_request(harness.advance(1.0))  # due by 11 s
    harness.advance(9.5)
    assert _manager(harness).mode is TradingMode.RECONCILING
    harness.advance(0.5)  # the timer at 11 s
    manager = _manager(harness)
    assert manager.mode is TradingMode.REFUSING
    assert "no position report from the venue for account acc at SIM" in str(manager.refusal())
    # a complete report that agrees, however late, resolves it
    _answer(harness, position_answer(request, {"BTC-USD": 7}))
    assert _manager(harness).mode is TradingMode.ACTIVE


def test_an_incomplete_report_is_not_compared(make_manager: Callable[..., Harness]) -> None:
    harness = _restored_with_position(make_manager)
    request = _positions_request(harness.advance(1.0))
    first, marker = position_answer(request, {"BTC-USD": 6})
    assert marker.value["instrument"] == ALL
    assert marker.value["position_quantity"] is None
    harness.process(first)
    assert _manager(harness).mode is TradingMode.RECONCILING
    harness.process(marker)
    assert _manager(harness).mode is TradingMode.REFUSING


def test_position_reports_nobody_asked_for_are_ignored(
    make_manager: Callable[..., Harness],
) -> None:
    harness = make_manager(ack_timeout_seconds=3600.0)
    request = _positions_request(_restored_with_position(make_manager).advance(1.0))
    for record in position_answer(request, {"BTC-USD": 99}):
        assert harness.process(record) == []
    manager = _manager(harness)
    assert manager.mode is TradingMode.ACTIVE
    assert manager.counters["unsolicited_position_reports"] == 2
    assert manager.counters["unknown_order_events"] == 0


def test_the_ledger_and_a_report_in_progress_survive_snapshot_and_restore(
    make_manager: Callable[..., Harness],
) -> None:
    harness = _restored_with_position(make_manager)
    request = _positions_request(harness.advance(1.0))
    first, marker = position_answer(request, {"BTC-USD": 7})
    harness.process(first)
    state = _manager(harness).snapshot()
    assert PositionLedger.from_json(state["positions"]).of("acc", "SIM") == {"BTC-USD": q(7)}
    recon = json.loads(state["reconciliation"])
    assert recon["position_requests"][request["client_order_id"]]["positions"] == {
        "BTC-USD": "7.000000000"
    }
    harness.state()  # round trip (the harness checks snapshot == restore(snapshot))
    # after this restart the manager asks again; the old request's marker is stale
    assert harness.process(marker) == []
    assert _manager(harness).counters["unsolicited_position_reports"] == 1
    again = _positions_request(harness.advance(1.0))
    assert again["client_order_id"] != request["client_order_id"]
    _answer(harness, position_answer(again, {"BTC-USD": 7}))
    assert _manager(harness).mode is TradingMode.ACTIVE


def test_a_snapshot_from_before_the_ledger_rebuilds_it_from_the_orders(
    make_manager: Callable[..., Harness],
) -> None:
    harness = make_manager(ack_timeout_seconds=3600.0)
    _filled(harness, 0, 10)
    _filled(harness, 1, 3, side="SELL")
    old = _manager(harness).snapshot()
    old.pop("positions")
    fresh = OrderManager(_manager(harness).config)
    fresh.restore(old)
    assert fresh.ledger.of("acc", "SIM") == {"BTC-USD": q(7)}


def test_replay_mode_does_not_ask_a_real_venue_for_positions(
    make_manager: Callable[..., Harness],
) -> None:
    live = make_manager(venues={"BTC-USD": "NASDAQ"}, ack_timeout_seconds=3600.0)
    _filled(live, 0, 10)
    replay = OrderManager(OrderManagerConfig(replay_mode=True, venues={"BTC-USD": "NASDAQ"}))
    replay.restore(_manager(live).snapshot())
    assert replay.on_timer(_at(1)) == []
    assert replay.counters["suppressed_commands"] == 1
    assert replay.mode is TradingMode.ACTIVE
