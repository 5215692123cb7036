"""Orders that reach the simulated exchange after later market data fill as if on time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from streams.decimals import q
from streams.exchange.scenario import bar, order_command, trade_tick
from streams.exchange.simulator import SimExchange
from streams.runtime.harness import Harness
from streams.runtime.processor import Record

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def _bars(count: int) -> list[Record]:
    """One-second bars with rising opens, volume 10 each."""
    return [
        bar(
            "BTC-USD",
            T0 + n * SECOND,
            open=100 + n,
            high=101 + n,
            low=99 + n,
            close=100 + n,
            volume=10,
            interval_seconds=1,
        )
        for n in range(count)
    ]


def _exchange(sim: Harness) -> SimExchange:
    assert isinstance(sim.processor, SimExchange)
    return sim.processor


def _events(sim: Harness, records: list[Record]) -> dict[str, dict[str, Any]]:
    return {o.value["envelope"]["event_id"]: o.value for r in records for o in sim.process(r)}


def _in_time(bars: list[Record], commands: list[tuple[int, Record]]) -> list[Record]:
    """Each command right after the bar it was caused by (its index), as a backtest runs."""
    out: list[Record] = []
    for n, item in enumerate(bars):
        out.append(item)
        out.extend(command for after, command in commands if after == n)
    return out


def _late(bars: list[Record], commands: list[tuple[int, Record]], delay: int) -> list[Record]:
    """Each command ``delay`` bars later than in time: after market data it should trade on."""
    return _in_time(bars, [(after + delay, command) for after, command in commands])


def test_fills_do_not_depend_on_when_the_order_arrives(
    make_exchange: Callable[..., Harness],
) -> None:
    bars = _bars(8)
    commands = [
        (1, order_command("NEW", "a", T0 + 2 * SECOND, quantity=6)),
        (1, order_command("NEW", "b", T0 + 2 * SECOND, quantity=6)),  # shares a's bar
        (3, order_command("NEW", "c", T0 + 4 * SECOND, quantity=3, time_in_force="IOC")),
    ]
    in_time = _events(make_exchange(fill_on="bars"), _in_time(bars, commands))
    fills = [(v["client_order_id"], v["fill_quantity"], v["fill_price"]) for v in in_time.values()]
    assert [f for f in fills if f[1] is not None] == [
        ("a", q(6), q(102)),  # the bar starting at the activation (T0 + 2 s)
        ("b", q(4), q(102)),  # what a left of that bar's volume
        ("b", q(2), q(103)),
        ("c", q(3), q(104)),
    ]
    for delay in (1, 2, 3):
        sim = make_exchange(fill_on="bars")
        assert _events(sim, _late(bars, commands, delay)) == in_time, f"{delay} bars late"
        assert _exchange(sim).late_matches > 0


def test_a_late_order_trades_on_the_ticks_after_its_activation_only(
    make_exchange: Callable[..., Harness],
) -> None:
    sim = make_exchange()
    sim.process(trade_tick("BTC-USD", 100, 1, T0, sequence=1))
    sim.process(trade_tick("BTC-USD", 101, 1, T0 + 2 * SECOND, sequence=2))
    sim.process(trade_tick("BTC-USD", 102, 5, T0 + 3 * SECOND, sequence=3))
    out = sim.process(order_command("NEW", "a", T0 + SECOND, quantity=3))
    assert [(o.value["kind"], o.value["fill_quantity"], o.value["fill_price"]) for o in out] == [
        ("ACK", None, None),
        ("PARTIAL_FILL", q(1), q(101)),
        ("FILL", q(2), q(102)),
    ]
    assert out[1].value["envelope"]["event_time"] == T0 + 2 * SECOND


def test_an_order_later_than_the_buffer_reaches_is_counted(
    make_exchange: Callable[..., Harness],
) -> None:
    sim = make_exchange(fill_on="bars", recent_prints=2)
    for item in _bars(5):
        sim.process(item)
    out = sim.process(order_command("NEW", "a", T0 + SECOND, quantity=1))
    # bars starting at T0+1 s and T0+2 s were evicted; the oldest kept starts at T0+3 s
    assert [(o.value["kind"], o.value["fill_price"]) for o in out] == [
        ("ACK", None),
        ("FILL", q(103)),
    ]
    assert _exchange(sim).late_orders_beyond_buffer == 1
    on_time = sim.process(order_command("NEW", "b", T0 + 5 * SECOND, quantity=1))
    assert [o.value["kind"] for o in on_time] == ["ACK"]
    assert _exchange(sim).late_orders_beyond_buffer == 1
