"""The broker-free harness: outputs, Avro state round trip, timers on a ManualClock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
from streams.agents.running_totals import RunningTotals
from streams.clock import ManualClock
from streams.decimals import q
from streams.errors import EncodeError
from streams.events import caused_by, derive_event_id, envelope
from streams.runtime.harness import Harness, StateRoundTripError, run_processor
from streams.runtime.processor import Output, Processor, Record

START = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
MakeTick = Callable[..., dict[str, Any]]


class _Forward(Processor):
    """Stateless: every raw tick is forwarded as a normalised one."""

    name: ClassVar[str] = "forward"
    inputs: ClassVar[tuple[str, ...]] = ("md.tick.raw",)
    outputs: ClassVar[tuple[str, ...]] = ("md.tick",)

    def process(self, record: Record) -> list[Output]:
        value = dict(record.value)
        value["envelope"] = caused_by(
            record.value["envelope"], event_type="md.tick", agent=self.name
        )
        return [Output(topic="md.tick", key=record.key, value=value)]


def _records(make_tick: MakeTick, *specs: tuple[int, str, str | None]) -> list[Record]:
    return [Record(topic="md.tick.raw", key=i, value=make_tick(s, i, size)) for s, i, size in specs]


def test_outputs_and_state_of_a_stateful_processor(make_tick: MakeTick) -> None:
    records = _records(
        make_tick, (1, "AAA", "1.5"), (2, "BBB", "2"), (3, "AAA", "1.5"), (4, "AAA", None)
    )
    result = run_processor(RunningTotals(), records, fresh=RunningTotals)
    assert [v["count"] for v in result.values("sample.total")] == [1, 1, 2]
    assert result.state == {
        "totals": {
            "AAA": {"count": 2, "total": q("3")},
            "BBB": {"count": 1, "total": q("2")},
        }
    }


def test_a_stateless_processor_has_an_empty_state(make_tick: MakeTick) -> None:
    result = run_processor(_Forward(), _records(make_tick, (1, "AAA", "1")))
    assert result.state == {}
    assert [o.topic for o in result.outputs] == ["md.tick"]


class _Lossy(RunningTotals):
    """Forgets the totals on restore: a state that does not survive recovery."""

    def restore(self, state: dict[str, Any]) -> None:
        del state
        self._totals = {}


def test_a_state_that_does_not_survive_restore_fails(make_tick: MakeTick) -> None:
    with pytest.raises(StateRoundTripError, match="state changed"):
        run_processor(_Lossy(), _records(make_tick, (1, "AAA", "1")))


class _Unserialisable(RunningTotals):
    def snapshot(self) -> dict[str, Any]:
        return {"totals": {"AAA": {"count": "one", "total": q("1")}}}


def test_a_state_that_does_not_match_its_schema_fails(make_tick: MakeTick) -> None:
    with pytest.raises(EncodeError):
        run_processor(_Unserialisable(), _records(make_tick, (1, "AAA", "1")))


class _BadOutput(_Forward):
    def process(self, record: Record) -> list[Output]:
        out = super().process(record)[0]
        value = dict(out.value)
        value["sequence"] = "not a long"
        return [Output(topic=out.topic, key=out.key, value=value)]


def test_an_output_that_does_not_match_its_schema_fails(make_tick: MakeTick) -> None:
    with pytest.raises(EncodeError):
        run_processor(_BadOutput(), _records(make_tick, (1, "AAA", "1")))


class _Ticker(Processor):
    """Emits a system.heartbeat on every timer call and records the times it was called."""

    name: ClassVar[str] = "ticker"
    inputs: ClassVar[tuple[str, ...]] = ("md.tick.raw",)
    outputs: ClassVar[tuple[str, ...]] = ("system.heartbeat",)

    def __init__(self) -> None:
        self.calls: list[datetime] = []

    def process(self, record: Record) -> list[Output]:
        del record
        return []

    def on_timer(self, now: datetime) -> list[Output]:
        self.calls.append(now)
        value = {
            "envelope": envelope(
                event_type="system.heartbeat",
                event_id=derive_event_id("ticker", now.isoformat()),
                event_time=now,
                ingest_time=now,
                agent=self.name,
            ),
            "agent": self.name,
            "instance": "0",
            "status": "READY",
            "events_in": 0,
            "events_out": 0,
            "errors": 0,
            "dead_letters": 0,
            "lag": None,
            "assigned_partitions": [],
        }
        return [Output(topic="system.heartbeat", key="ticker:0", value=value)]


def test_timers_fire_at_each_interval_the_event_time_crosses(make_tick: MakeTick) -> None:
    clock = ManualClock(START)
    ticker = _Ticker()
    records = _records(make_tick, (5, "AAA", "1"), (12, "AAA", "1"))
    result = run_processor(ticker, records, clock=clock, timer_every=5.0)
    assert [(c - START).total_seconds() for c in ticker.calls] == [5.0, 10.0]
    assert len(result.outputs) == 2
    assert clock.now() == records[1].value["envelope"]["event_time"]


def test_advance_moves_the_clock_and_fires_timers() -> None:
    clock = ManualClock(START)
    harness = Harness(_Ticker(), clock=clock, timer_every=1.0)
    assert len(harness.advance(3.5)) == 3
    assert (clock.now() - START).total_seconds() == 3.5


def test_timer_every_needs_a_manual_clock() -> None:
    with pytest.raises(ValueError, match="ManualClock"):
        Harness(_Ticker(), timer_every=1.0)
