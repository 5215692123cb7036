"""Pre-trade checks of the risk gate: one rule per test, approvals and rejections."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from streams.decimals import q
from streams.exchange.scenario import intent, trade_tick, venue_event
from streams.orders.lifecycle import client_order_id
from streams.risk.gate import RiskGate
from streams.runtime.harness import Harness
from streams.runtime.processor import Output

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


def _intent(n: int = 0, **overrides: Any) -> Any:
    fields: dict[str, Any] = {
        "account": "acc",
        "strategy": "momo",
        "instrument": "BTC-USD",
        "side": "BUY",
        "quantity": "10",
        "at": T0 + timedelta(milliseconds=10 * n),
        "number": n,
    }
    fields.update(overrides)
    return intent(**fields)


def _decide(gate: Harness, n: int = 0, **overrides: Any) -> Output:
    outputs = gate.process(_intent(n, **overrides))
    assert len(outputs) == 1
    return outputs[0]


def _codes(output: Output) -> list[str]:
    return [r["code"] for r in output.value["reasons"]]


def test_an_intent_within_every_limit_is_approved_to_risk_approved(
    make_gate: Callable[..., Harness],
) -> None:
    gate = make_gate()
    gate.process(trade_tick("BTC-USD", "100", "5", T0))
    out = _decide(gate)
    assert out.topic == "risk.approved"
    assert out.value["outcome"] == "APPROVED"
    assert out.value["reasons"] == []
    assert out.value["reference_price"] == q("100")


def test_decision_id_is_derived_from_the_intent(make_gate: Callable[..., Harness]) -> None:
    first, second = make_gate(), make_gate()
    for gate in (first, second):
        gate.process(trade_tick("BTC-USD", "100", "5", T0))
    a, b = _decide(first), _decide(second)
    assert a.value["envelope"]["event_id"] == b.value["envelope"]["event_id"]
    assert a.value["envelope"]["causation_id"] == a.value["intent_id"]


def test_no_last_trade_rejects_with_no_reference_price(make_gate: Callable[..., Harness]) -> None:
    out = make_gate().process(_intent())[0]
    assert out.topic == "risk.rejected"
    assert _codes(out) == ["NO_REFERENCE_PRICE"]


def test_max_order_quantity(make_gate: Callable[..., Harness]) -> None:
    gate = make_gate()
    gate.process(trade_tick("BTC-USD", "1", "5", T0))
    out = _decide(gate, quantity="51")
    assert _codes(out) == ["MAX_ORDER_QUANTITY"]
    reason = out.value["reasons"][0]
    assert (reason["limit"], reason["actual"]) == (q("50"), q("51"))


def test_strategy_limit_is_stricter_than_the_default(make_gate: Callable[..., Harness]) -> None:
    gate = make_gate()
    gate.process(trade_tick("BTC-USD", "100", "5", T0))
    assert _codes(_decide(gate, strategy="tight", quantity="6")) == ["MAX_ORDER_QUANTITY"]
    assert _decide(gate, 1, quantity="6").topic == "risk.approved"


def test_max_order_notional_uses_the_limit_price(make_gate: Callable[..., Harness]) -> None:
    gate = make_gate()
    gate.process(trade_tick("BTC-USD", "1000", "5", T0))
    # 10 x 1000.5 = 10005 > 10000
    out = _decide(gate, order_type="LIMIT", limit_price="1000.5")
    assert _codes(out) == ["MAX_ORDER_NOTIONAL"]
    assert out.value["reasons"][0]["actual"] == q("10005")


def test_price_band_rejects_a_limit_far_from_the_last_trade(
    make_gate: Callable[..., Harness],
) -> None:
    gate = make_gate()
    gate.process(trade_tick("BTC-USD", "100", "5", T0))
    # |102 - 100| / 100 x 10000 = 200 bps > 100 bps
    out = _decide(gate, order_type="LIMIT", limit_price="102", quantity="1")
    assert _codes(out) == ["PRICE_BAND"]
    assert out.value["reasons"][0]["actual"] == q("200")
    assert _decide(gate, 1, order_type="LIMIT", limit_price="101").topic == "risk.approved"


def test_max_position_counts_the_position_and_open_orders(
    make_gate: Callable[..., Harness],
) -> None:
    gate = make_gate()
    gate.process(trade_tick("BTC-USD", "10", "5", T0))
    first = _decide(gate, quantity="40")
    coid = client_order_id(first.value["envelope"]["event_id"])
    command = {
        "client_order_id": coid,
        "account": "acc",
        "strategy": "momo",
        "instrument": "BTC-USD",
        "venue": "SIM",
        "side": "BUY",
        "quantity": q("40"),
    }
    gate.process(
        venue_event(command, "FILL", T0, cumulative="40", fill_quantity="40", fill_price="10")
    )
    assert _decide(gate, 1, quantity="40").topic == "risk.approved"  # 40 filled + 40 open
    out = _decide(gate, 2, quantity="21")  # 40 + 40 + 21 = 101 > 100
    assert _codes(out) == ["MAX_POSITION"]
    assert out.value["reasons"][0]["actual"] == q("101")
    # selling reduces: 80 - 21 = 59
    assert _decide(gate, 3, quantity="21", side="SELL").topic == "risk.approved"


def test_a_redelivered_fill_does_not_move_the_position_twice(
    make_gate: Callable[..., Harness],
) -> None:
    gate = make_gate()
    gate.process(trade_tick("BTC-USD", "10", "5", T0))
    first = _decide(gate, quantity="30")
    coid = client_order_id(first.value["envelope"]["event_id"])
    command = {
        "client_order_id": coid,
        "account": "acc",
        "strategy": "momo",
        "instrument": "BTC-USD",
        "venue": "SIM",
        "side": "BUY",
        "quantity": q("30"),
    }
    fill = venue_event(command, "FILL", T0, cumulative="30", fill_quantity="30", fill_price="10")
    gate.process(fill)
    gate.process(fill)
    assert isinstance(gate.processor, RiskGate)
    assert gate.processor.book.position(("acc", "momo", "BTC-USD")) == q("30")


def test_max_open_orders(make_gate: Callable[..., Harness]) -> None:
    gate = make_gate()
    gate.process(trade_tick("BTC-USD", "10", "5", T0))
    for n in range(3):
        assert _decide(gate, n, quantity="1").topic == "risk.approved"
    out = _decide(gate, 3, quantity="1")
    assert _codes(out) == ["MAX_OPEN_ORDERS"]
    assert out.value["reasons"][0]["actual"] == q("4")


def test_max_gross_exposure_sums_the_account(make_gate: Callable[..., Harness]) -> None:
    limits = {"defaults": {"max_gross_exposure": "2500"}}
    gate = make_gate(limits)
    gate.process(trade_tick("BTC-USD", "100", "5", T0))
    gate.process(trade_tick("ETH-USD", "50", "5", T0))
    assert _decide(gate, 0, quantity="20").topic == "risk.approved"  # 2000
    # 2000 open + 11 x 50 = 2550 > 2500
    out = _decide(gate, 1, instrument="ETH-USD", strategy="other", quantity="11")
    assert _codes(out) == ["MAX_GROSS_EXPOSURE"]
    assert out.value["reasons"][0]["actual"] == q("2550")


def test_order_rate_is_counted_in_event_time(make_gate: Callable[..., Harness]) -> None:
    limits = {"defaults": {"order_rate": {"max_orders": 2, "window_seconds": 1}}}
    gate = make_gate(limits)
    gate.process(trade_tick("BTC-USD", "100", "5", T0))
    assert _decide(gate, 0, quantity="1", at=T0).topic == "risk.approved"
    assert _decide(gate, 1, quantity="1", at=T0 + timedelta(milliseconds=500)).topic == (
        "risk.approved"
    )
    out = _decide(gate, 2, quantity="1", at=T0 + timedelta(milliseconds=900))
    assert _codes(out) == ["ORDER_RATE"]
    # one second after the first approval it has left the window
    later = _decide(gate, 3, quantity="1", at=T0 + timedelta(milliseconds=1000))
    assert later.topic == "risk.approved"


def test_every_failed_check_is_reported(make_gate: Callable[..., Harness]) -> None:
    gate = make_gate()
    gate.process(trade_tick("BTC-USD", "1000", "5", T0))
    out = _decide(gate, quantity="60", order_type="LIMIT", limit_price="1200")
    assert set(_codes(out)) == {
        "MAX_ORDER_QUANTITY",
        "MAX_ORDER_NOTIONAL",
        "MAX_GROSS_EXPOSURE",
        "PRICE_BAND",
    }


def test_malformed_intents_are_rejected_as_invalid_order(
    make_gate: Callable[..., Harness],
) -> None:
    gate = make_gate()
    gate.process(trade_tick("BTC-USD", "100", "5", T0))
    assert _codes(_decide(gate, 0, quantity="0")) == ["INVALID_ORDER"]
    assert _codes(_decide(gate, 1, order_type="LIMIT")) == ["INVALID_ORDER"]
    assert _codes(_decide(gate, 2, limit_price="100")) == ["INVALID_ORDER"]


def test_unconfirmed_approvals_stop_counting_after_the_ttl(
    make_gate: Callable[..., Harness],
) -> None:
    gate = make_gate({"defaults": {"max_open_orders": 1}})
    gate.process(trade_tick("BTC-USD", "100", "5", T0))
    assert _decide(gate, 0, quantity="1").topic == "risk.approved"
    assert _decide(gate, 1, quantity="1").topic == "risk.rejected"
    late = _decide(gate, 2, quantity="1", at=T0 + timedelta(seconds=301))
    assert late.topic == "risk.approved"


def test_state_survives_snapshot_and_restore(make_gate: Callable[..., Harness]) -> None:
    uninterrupted, restored = make_gate(), make_gate()
    records = [trade_tick("BTC-USD", "100", "5", T0), _intent(0), _intent(1)]
    for record in records:
        uninterrupted.process(record)
        restored.process(record)
    restored.state()  # snapshot -> Avro -> restore into a fresh gate
    for n in range(2, 6):
        a, b = uninterrupted.process(_intent(n)), restored.process(_intent(n))
        assert a == b
    assert uninterrupted.state() == restored.state()


def test_a_status_report_of_an_unknown_order_opens_nothing(
    make_gate: Callable[..., Harness],
) -> None:
    gate = make_gate()
    command = {
        "client_order_id": "never-approved-here",
        "account": "acc",
        "strategy": "momo",
        "instrument": "BTC-USD",
        "venue": "SIM",
        "side": "BUY",
        "quantity": q("5"),
    }
    gate.process(venue_event(command, "STATUS", T0, order_status="UNKNOWN"))
    assert isinstance(gate.processor, RiskGate)
    assert gate.processor.book.open_orders == {}
    gate.process(venue_event(command, "ACK", T0))
    assert list(gate.processor.book.open_orders) == ["never-approved-here"]
    gate.process(
        venue_event(command, "CANCELED", T0, cumulative="2", number=1)
    )  # closed with 2 filled that we had not seen: booked on the close
    assert gate.processor.book.open_orders == {}
    assert gate.processor.book.position(("acc", "momo", "BTC-USD")) == q("2")
