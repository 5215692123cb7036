"""BarAggregator: boundaries, OHLCV/vwap, closing, late ticks, revisions, intervals, restore."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from streams.clock import ManualClock
from streams.events import derive_event_id
from streams.marketdata.bars import BarAggregator, BarOptions
from streams.runtime.harness import Harness, run_processor
from tests.unit.marketdata.md_unit_support import T0, at, quote, tick_record, trade

ONE_SECOND = BarOptions(intervals=(1,), late_grace=timedelta(seconds=3))


def bars_of(outputs: list[Any]) -> list[dict[str, Any]]:
    return [o.value for o in outputs]


def test_ohlcv_vwap_and_count_of_a_bar() -> None:
    ticks = [
        trade(1, seconds=0.1, price="100.00", size="2"),
        trade(2, seconds=0.5, price="101.50", size="1"),
        trade(3, seconds=0.9, price="99.00", size="1"),
        trade(4, seconds=1.2, price="100.00", size="1"),
    ]
    result = run_processor(BarAggregator(ONE_SECOND), [tick_record(t) for t in ticks])
    [bar] = result.values("md.bar")
    assert (bar["open"], bar["high"], bar["low"], bar["close"]) == (
        Decimal("100.00"),
        Decimal("101.50"),
        Decimal("99.00"),
        Decimal("99.00"),
    )
    assert bar["volume"] == Decimal(4)
    assert bar["vwap"] == Decimal("100.125000000")
    assert bar["trade_count"] == 3
    assert (bar["start"], bar["end"]) == (at(0), at(1))
    assert bar["envelope"]["event_time"] == at(1)
    assert bar["revision"] == 0
    start_micros = int(at(0).timestamp()) * 1_000_000
    assert bar["envelope"]["event_id"] == derive_event_id("md.bar", "AAPL", 1, start_micros, 0)
    assert bar["envelope"]["causation_id"] == ticks[2]["envelope"]["event_id"]


def test_tick_exactly_at_the_boundary_opens_the_next_bar() -> None:
    ticks = [trade(1, seconds=0.0, price="100.00"), trade(2, seconds=1.0, price="105.00")]
    [bar] = run_processor(BarAggregator(ONE_SECOND), [tick_record(t) for t in ticks]).values()
    assert bar["close"] == Decimal("100.00")
    assert bar["trade_count"] == 1


def test_bars_align_to_the_epoch_and_empty_intervals_emit_nothing() -> None:
    options = BarOptions(intervals=(60,))
    ticks = [trade(1, seconds=30), trade(2, seconds=200), trade(3, seconds=250)]
    bars = run_processor(BarAggregator(options), [tick_record(t) for t in ticks]).values()
    assert [(b["start"], b["end"]) for b in bars] == [(at(0), at(60)), (at(180), at(240))]
    assert T0.second == 0  # T0 is a minute boundary, so 12:00:00 starts a 60 s bar


def test_quotes_are_ignored() -> None:
    records = [tick_record(quote(1, seconds=0.5)), tick_record(quote(2, seconds=3))]
    result = run_processor(BarAggregator(ONE_SECOND), records)
    assert result.outputs == []


def test_multiple_intervals_are_independent() -> None:
    options = BarOptions(intervals=(1, 5))
    ticks = [trade(i, seconds=i * 0.5, price=f"{100 + i}.00") for i in range(1, 13)]
    bars = run_processor(BarAggregator(options), [tick_record(t) for t in ticks]).values()
    ones = [b for b in bars if b["interval_seconds"] == 1]
    fives = [b for b in bars if b["interval_seconds"] == 5]
    assert len(ones) == 6  # [0,1) .. [5,6) closed by the tick at 6.0 s; [6,7) still open
    assert len(fives) == 1
    assert fives[0]["trade_count"] == 9  # ticks at 0.5 .. 4.5 s
    assert fives[0]["high"] == Decimal("109.00")


def test_late_tick_within_grace_emits_a_revision_with_a_new_id() -> None:
    ticks = [
        trade(1, seconds=0.5, price="100.00"),
        trade(2, seconds=1.5, price="100.00"),
        trade(3, seconds=0.7, price="120.00"),  # late: its bar [0,1) was emitted
    ]
    bars = run_processor(BarAggregator(ONE_SECOND), [tick_record(t) for t in ticks]).values()
    first, revised = bars
    assert (first["revision"], revised["revision"]) == (0, 1)
    assert revised["start"] == first["start"]
    assert revised["high"] == Decimal("120.00")
    assert revised["trade_count"] == 2
    assert revised["envelope"]["event_id"] != first["envelope"]["event_id"]


def test_late_tick_for_an_empty_interval_within_grace_creates_its_bar() -> None:
    ticks = [trade(1, seconds=0.5), trade(2, seconds=2.5), trade(3, seconds=1.5)]
    bars = run_processor(BarAggregator(ONE_SECOND), [tick_record(t) for t in ticks]).values()
    assert [(b["start"], b["revision"]) for b in bars] == [(at(0), 0), (at(1), 0)]


def test_late_tick_beyond_grace_is_dropped_and_counted() -> None:
    aggregator = BarAggregator(ONE_SECOND)
    ticks = [trade(1, seconds=0.5), trade(2, seconds=10.5), trade(3, seconds=0.9)]
    result = run_processor(aggregator, [tick_record(t) for t in ticks])
    assert [b["revision"] for b in result.values()] == [0]
    assert aggregator.late_ticks_dropped == 1
    assert result.state["late_ticks_dropped"] == 1
    assert all(
        b["start"] >= 10_000_000 + int(T0.timestamp()) * 1_000_000 for b in result.state["bars"]
    )


def test_timer_closes_a_quiet_bar_after_the_allowed_lateness() -> None:
    clock = ManualClock(T0)
    harness = Harness(BarAggregator(ONE_SECOND), clock=clock, timer_every=1.0)
    harness.process(tick_record(trade(1, seconds=0.5)))
    assert harness.advance(1.0) == []  # tick seen since the last timer call: not quiet yet
    assert harness.advance(1.0) == []  # quiet, but now (2.5 s) < end (1 s) + lateness (2 s)
    [closed] = harness.advance(1.0)
    assert closed.value["end"] == at(1)
    late = harness.process(tick_record(trade(2, seconds=0.8)))
    assert [o.value["revision"] for o in late] == [1]


def test_timer_does_not_cut_an_active_replay() -> None:
    clock = ManualClock(T0 + timedelta(days=365))  # host clock far ahead of event time
    aggregator = BarAggregator(ONE_SECOND)
    aggregator.process(tick_record(trade(1, seconds=0.2)))
    assert aggregator.on_timer(clock.now()) == []
    aggregator.process(tick_record(trade(2, seconds=0.4)))
    assert aggregator.on_timer(clock.now()) == []
    assert [b.value["trade_count"] for b in aggregator.on_timer(clock.now())] == [2]


def test_restore_resumes_open_and_recently_closed_bars() -> None:
    def fresh() -> BarAggregator:
        return BarAggregator(ONE_SECOND)

    harness = Harness(fresh(), fresh=fresh)
    harness.process(tick_record(trade(1, seconds=0.5, price="100.00")))
    harness.process(tick_record(trade(2, seconds=1.5, price="101.00")))
    state = harness.state()
    assert [b["closed"] for b in state["bars"]] == [True, False]
    restored = harness.processor
    [revision] = restored.process(tick_record(trade(3, seconds=0.6, price="99.00")))
    assert (revision.value["revision"], revision.value["low"]) == (1, Decimal("99.00"))
    [bar] = restored.process(tick_record(trade(4, seconds=2.1)))
    assert bar.value["open"] == Decimal("101.00")


def test_invalid_options_are_rejected() -> None:
    with pytest.raises(ValueError, match="positive"):
        BarOptions(intervals=(0,))
    with pytest.raises(ValueError, match="distinct"):
        BarOptions(intervals=(1, 1))
