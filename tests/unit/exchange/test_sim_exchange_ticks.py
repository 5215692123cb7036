"""The simulated exchange matching on trade ticks: fills, prices, fees, time in force."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from streams.decimals import q
from streams.exchange.scenario import order_command, trade_tick
from streams.runtime.harness import Harness

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


def _at(ms: int) -> datetime:
    return T0 + timedelta(milliseconds=ms)


def _kinds(outputs: list[Any]) -> list[str]:
    return [o.value["kind"] for o in outputs]


def test_a_valid_order_is_acknowledged_at_command_time_plus_latency(
    make_exchange: Callable[..., Harness],
) -> None:
    sim = make_exchange(latency_ms=50)
    out = sim.process(order_command("NEW", "c1", T0))
    assert _kinds(out) == ["ACK"]
    assert out[0].value["envelope"]["event_time"] == _at(50)
    assert out[0].value["leaves_quantity"] == q("10")
    assert out[0].topic == "order.event"


def test_invalid_orders_are_rejected_with_a_reason(make_exchange: Callable[..., Harness]) -> None:
    sim = make_exchange(instruments=["BTC-USD"])
    cases = [
        (order_command("NEW", "c1", T0, venue="NYSE"), "WRONG_VENUE"),
        (order_command("NEW", "c2", T0, quantity=0), "INVALID_QUANTITY"),
        (order_command("NEW", "c3", T0, order_type="LIMIT"), "INVALID_PRICE"),
        (order_command("NEW", "c4", T0, limit_price=5), "INVALID_PRICE"),
        (order_command("NEW", "c5", T0, instrument="DOGE"), "UNKNOWN_INSTRUMENT"),
    ]
    for command, reason in cases:
        out = sim.process(command)
        assert _kinds(out) == ["REJECTED"]
        assert out[0].value["reason"].startswith(reason)


def test_a_market_order_fills_on_the_first_trade_after_activation(
    make_exchange: Callable[..., Harness],
) -> None:
    sim = make_exchange(latency_ms=50, slippage_bps="10", fees={"taker_bps": "5"})
    sim.process(order_command("NEW", "c1", T0, quantity=2))
    assert sim.process(trade_tick("BTC-USD", "100", "100", _at(49))) == []  # not active yet
    out = sim.process(trade_tick("BTC-USD", "200", "100", _at(50)))
    assert _kinds(out) == ["FILL"]
    fill = out[0].value
    # buy: 200 x (1 + 10/10000) = 200.2; fee 2 x 200.2 x 5/10000 = 0.2002
    assert fill["fill_price"] == q("200.2")
    assert fill["fee"] == q("0.2002")
    assert fill["liquidity"] == "TAKER"
    assert (fill["cumulative_quantity"], fill["leaves_quantity"]) == (q("2"), q("0"))
    assert fill["trade_id"].startswith("SIM-T-")


def test_volume_share_impact_adds_to_slippage(make_exchange: Callable[..., Harness]) -> None:
    sim = make_exchange(slippage_bps="1", impact_bps="20")
    sim.process(order_command("NEW", "c1", T0, quantity=5, side="SELL"))
    out = sim.process(trade_tick("BTC-USD", "100", "10", _at(1)))
    # share 5/10 = 0.5 -> 1 + 20 x 0.5 = 11 bps; sell: 100 x (1 - 0.0011) = 99.89
    assert out[0].value["fill_price"] == q("99.89")


def test_partial_fills_are_limited_by_the_volume_share(
    make_exchange: Callable[..., Harness],
) -> None:
    sim = make_exchange(max_volume_share="0.25")
    sim.process(order_command("NEW", "c1", T0, quantity=10))
    first = sim.process(trade_tick("BTC-USD", "100", "12", _at(1), sequence=1))
    second = sim.process(trade_tick("BTC-USD", "101", "20", _at(2), sequence=2))
    third = sim.process(trade_tick("BTC-USD", "102", "100", _at(3), sequence=3))
    fills = [o.value for o in first + second + third]
    # 12 x 0.25 = 3, then 20 x 0.25 = 5, then the remaining 2 of 25 available
    assert [f["kind"] for f in fills] == ["PARTIAL_FILL", "PARTIAL_FILL", "FILL"]
    assert [f["fill_quantity"] for f in fills] == [q("3"), q("5"), q("2")]
    assert [f["cumulative_quantity"] for f in fills] == [q("3"), q("8"), q("10")]
    assert [f["leaves_quantity"] for f in fills] == [q("7"), q("2"), q("0")]
    assert len({f["trade_id"] for f in fills}) == 3
    # (3 x 100 + 5 x 101 + 2 x 102) / 10 = 100.9
    assert fills[-1]["average_price"] == q("100.9")


def test_orders_share_the_liquidity_of_one_print(make_exchange: Callable[..., Harness]) -> None:
    sim = make_exchange(max_volume_share="0.5")
    sim.process(order_command("NEW", "c1", T0, quantity=3))
    sim.process(order_command("NEW", "c2", T0, quantity=3))
    out = sim.process(trade_tick("BTC-USD", "100", "8", _at(1)))
    # 8 x 0.5 = 4 available: c1 takes 3, c2 the remaining 1
    assert [(o.value["client_order_id"], o.value["fill_quantity"]) for o in out] == [
        ("c1", q("3")),
        ("c2", q("1")),
    ]


def test_a_resting_buy_limit_fills_as_maker_at_its_limit(
    make_exchange: Callable[..., Harness],
) -> None:
    sim = make_exchange(fees={"maker_bps": "1", "taker_bps": "5"})
    sim.process(order_command("NEW", "c1", T0, order_type="LIMIT", limit_price="99", quantity=1))
    assert sim.process(trade_tick("BTC-USD", "100", "10", _at(1))) == []  # first look, not crossed
    out = sim.process(trade_tick("BTC-USD", "98.5", "10", _at(2)))
    fill = out[0].value
    # maker at its limit 99; fee 1 x 99 x 1/10000 = 0.0099
    assert (fill["fill_price"], fill["liquidity"], fill["fee"]) == (q("99"), "MAKER", q("0.0099"))


def test_a_marketable_limit_takes_at_the_print_capped_by_the_limit(
    make_exchange: Callable[..., Harness],
) -> None:
    sim = make_exchange(slippage_bps="100")
    sim.process(order_command("NEW", "c1", T0, order_type="LIMIT", limit_price="100.5", quantity=1))
    out = sim.process(trade_tick("BTC-USD", "100", "10", _at(1)))
    # 100 x 1.01 = 101 would exceed the limit: capped at 100.5
    assert (out[0].value["fill_price"], out[0].value["liquidity"]) == (q("100.5"), "TAKER")


def test_ioc_fills_what_the_first_print_allows_and_expires_the_rest(
    make_exchange: Callable[..., Harness],
) -> None:
    sim = make_exchange(max_volume_share="0.5")
    sim.process(order_command("NEW", "c1", T0, quantity=10, time_in_force="IOC"))
    out = sim.process(trade_tick("BTC-USD", "100", "8", _at(1)))
    assert _kinds(out) == ["PARTIAL_FILL", "EXPIRED"]
    assert out[1].value["cumulative_quantity"] == q("4")
    assert out[1].value["leaves_quantity"] == q("0")
    assert sim.process(trade_tick("BTC-USD", "100", "8", _at(2))) == []


def test_fok_is_all_or_none(make_exchange: Callable[..., Harness]) -> None:
    sim = make_exchange(max_volume_share="0.5")
    sim.process(order_command("NEW", "small", T0, quantity=4, time_in_force="FOK"))
    sim.process(order_command("NEW", "big", T0, quantity=10, time_in_force="FOK"))
    out = sim.process(trade_tick("BTC-USD", "100", "8", _at(1)))
    assert [(o.value["client_order_id"], o.value["kind"]) for o in out] == [
        ("small", "FILL"),
        ("big", "EXPIRED"),
    ]
    assert out[1].value["cumulative_quantity"] == q("0")


def test_fok_limit_not_reached_expires(make_exchange: Callable[..., Harness]) -> None:
    sim = make_exchange()
    sim.process(
        order_command("NEW", "c1", T0, order_type="LIMIT", limit_price="99", time_in_force="FOK")
    )
    assert _kinds(sim.process(trade_tick("BTC-USD", "100", "100", _at(1)))) == ["EXPIRED"]


def test_day_orders_expire_at_the_utc_day_end(make_exchange: Callable[..., Harness]) -> None:
    sim = make_exchange()
    sim.process(
        order_command("NEW", "c1", T0, order_type="LIMIT", limit_price="90", time_in_force="DAY")
    )
    assert sim.process(trade_tick("BTC-USD", "100", "1", _at(1))) == []
    midnight = datetime(2024, 1, 3, tzinfo=UTC)
    out = sim.process(trade_tick("BTC-USD", "80", "1", midnight))
    assert _kinds(out) == ["EXPIRED"]


def test_cancel_after_a_partial_fill(make_exchange: Callable[..., Harness]) -> None:
    sim = make_exchange(max_volume_share="0.5")
    sim.process(order_command("NEW", "c1", T0, quantity=10))
    sim.process(trade_tick("BTC-USD", "100", "8", _at(1)))
    out = sim.process(order_command("CANCEL", "c1", _at(2)))
    assert _kinds(out) == ["CANCELED"]
    assert (out[0].value["cumulative_quantity"], out[0].value["leaves_quantity"]) == (
        q("4"),
        q("0"),
    )
    assert sim.process(trade_tick("BTC-USD", "100", "8", _at(3))) == []
    again = sim.process(order_command("CANCEL", "c1", _at(4)))
    assert _kinds(again) == ["STATUS"]
    assert again[0].value["reason"].startswith("CANCEL_REJECTED")
    assert again[0].value["order_status"] == "CANCELED"


def test_query_answers_status_and_unknown(make_exchange: Callable[..., Harness]) -> None:
    sim = make_exchange(max_volume_share="0.5")
    sim.process(order_command("NEW", "c1", T0, quantity=10))
    sim.process(trade_tick("BTC-USD", "100", "8", _at(1)))
    status = sim.process(order_command("QUERY", "c1", _at(2)))[0].value
    assert (status["kind"], status["order_status"]) == ("STATUS", "PARTIALLY_FILLED")
    assert (status["cumulative_quantity"], status["average_price"]) == (q("4"), q("100"))
    unknown = sim.process(order_command("QUERY", "nope", _at(2)))[0].value
    assert (unknown["order_status"], unknown["reason"]) == ("UNKNOWN", "UNKNOWN_ORDER")


def test_a_repeated_new_does_not_create_a_second_order(
    make_exchange: Callable[..., Harness],
) -> None:
    sim = make_exchange()
    sim.process(order_command("NEW", "c1", T0, quantity=1))
    out = sim.process(order_command("NEW", "c1", T0, quantity=1))
    assert _kinds(out) == ["STATUS"]
    assert out[0].value["reason"] == "DUPLICATE_CLIENT_ORDER_ID"
    fills = sim.process(trade_tick("BTC-USD", "100", "10", _at(1)))
    assert _kinds(fills) == ["FILL"]


def test_quotes_do_not_fill(make_exchange: Callable[..., Harness]) -> None:
    sim = make_exchange()
    sim.process(order_command("NEW", "c1", T0))
    quote = trade_tick("BTC-USD", "100", "10", _at(1))
    quote.value["kind"] = "QUOTE"
    assert sim.process(quote) == []
