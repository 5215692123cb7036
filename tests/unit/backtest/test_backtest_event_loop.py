"""The backtest event loop: event-time order, causality, timers and idle stretches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from streams.backtest.engine import EventLoop
from streams.errors import ProcessingError
from streams.events import derive_event_id, envelope
from streams.runtime.processor import Output, Processor, Record

T0 = datetime(2024, 1, 2, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def _value(at: datetime, label: str) -> dict[str, Any]:
    env = envelope(
        event_type="test",
        event_id=derive_event_id(label),
        event_time=at,
        ingest_time=at,
        agent="test",
    )
    return {"envelope": env, "label": label}


def _record(topic: str, at: datetime, label: str) -> Record:
    return Record(topic, None, _value(at, label))


class Echo(Processor):
    """Emits ``echo`` for every ``in`` record, stamped ``lag`` later (or earlier)."""

    name: ClassVar[str] = "echo"
    inputs: ClassVar[tuple[str, ...]] = ("in",)
    outputs: ClassVar[tuple[str, ...]] = ("echo",)

    def __init__(self, lag: timedelta = timedelta(0)) -> None:
        self.lag = lag

    def process(self, record: Record) -> list[Output]:
        at = record.value["envelope"]["event_time"] + self.lag
        return [Output("echo", None, _value(at, f"echo-{record.value['label']}"))]


class Ticker(Processor):
    """Records every timer call."""

    name: ClassVar[str] = "ticker"
    inputs: ClassVar[tuple[str, ...]] = ("in",)
    outputs: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self.calls: list[datetime] = []
        self.seen: list[tuple[str, datetime]] = []

    def process(self, record: Record) -> list[Output]:
        self.seen.append(("event", record.value["envelope"]["event_time"]))
        return []

    def on_timer(self, now: datetime) -> list[Output]:
        self.calls.append(now)
        self.seen.append(("timer", now))
        return []


def _labels(processor: Processor, records: list[Record]) -> list[str]:
    delivered: list[str] = []
    EventLoop([processor], observers=[lambda r: delivered.append(r.value["label"])]).run(records)
    return delivered


def test_outputs_of_an_instant_go_before_the_next_source_record_of_that_instant() -> None:
    records = [_record("in", T0, "a"), _record("in", T0, "b"), _record("in", T0 + SECOND, "c")]
    assert _labels(Echo(), records) == ["a", "echo-a", "b", "echo-b", "c", "echo-c"]


def test_a_later_output_waits_for_earlier_source_records() -> None:
    records = [_record("in", T0, "a"), _record("in", T0 + SECOND, "b")]
    labels = _labels(Echo(lag=2 * SECOND), records)
    assert labels == ["a", "b", "echo-a", "echo-b"]


def test_an_output_stamped_before_the_clock_is_delivered_next() -> None:
    records = [_record("in", T0 + SECOND, "a"), _record("in", T0 + 2 * SECOND, "b")]
    result = EventLoop([Echo(lag=-SECOND)]).run(records)
    assert [r.value["label"] for r in result.events["echo"]] == ["echo-a", "echo-b"]
    assert result.delivered == 4
    assert result.last_time == T0 + 2 * SECOND


def test_timers_fire_each_interval_within_the_horizon_then_skip_to_the_next_event() -> None:
    ticker = Ticker()
    loop = EventLoop([ticker], timer_interval=SECOND, timer_horizon=3 * SECOND)
    result = loop.run([_record("in", T0, "a"), _record("in", T0 + 100 * SECOND, "b")])
    expected = [T0 + n * SECOND for n in (1, 2, 3, 99, 100, 101, 102, 103)]
    assert ticker.calls == expected
    assert result.timers == len(expected)
    # each timer fires after every event stamped at or before it, before any later one
    assert ticker.seen == sorted(ticker.seen, key=lambda item: (item[1], item[0] == "timer"))


def test_a_timer_at_an_events_instant_fires_after_that_event() -> None:
    ticker = Ticker()
    loop = EventLoop([ticker], timer_interval=SECOND, timer_horizon=SECOND)
    loop.run([_record("in", T0 + SECOND / 2, "a"), _record("in", T0 + SECOND, "b")])
    assert ticker.seen[:3] == [
        ("event", T0 + SECOND / 2),
        ("event", T0 + SECOND),
        ("timer", T0 + SECOND),
    ]


def test_no_timers_run_when_no_processor_overrides_on_timer() -> None:
    result = EventLoop([Echo()], timer_interval=SECOND).run(
        [_record("in", T0, "a"), _record("in", T0 + 10 * SECOND, "b")]
    )
    assert result.timers == 0


def test_keep_topics_limits_what_the_result_holds() -> None:
    result = EventLoop([Echo()], keep_topics={"echo"}).run([_record("in", T0, "a")])
    assert set(result.events) == {"echo"}
    assert result.delivered == 2


def test_an_event_without_an_aware_event_time_is_refused() -> None:
    naive = {"envelope": {"event_time": datetime(2024, 1, 1)}}  # noqa: DTZ001
    with pytest.raises(ProcessingError, match="timezone-aware"):
        EventLoop([Echo()]).run([Record("in", None, naive)])
    with pytest.raises(ProcessingError, match="no envelope"):
        EventLoop([Echo()]).run([Record("in", None, {"label": "x"})])


def test_a_non_positive_timer_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="timer_interval"):
        EventLoop([Echo()], timer_interval=timedelta(0))


class Picky(Processor):
    """Refuses records labelled ``bad`` with a ProcessingError, fails on ``bug``."""

    name: ClassVar[str] = "picky"
    inputs: ClassVar[tuple[str, ...]] = ("in",)
    outputs: ClassVar[tuple[str, ...]] = ()

    def process(self, record: Record) -> list[Output]:
        if record.value["label"] == "bad":
            raise ProcessingError("bad record")
        if record.value["label"] == "bug":
            raise ZeroDivisionError("a bug")
        return []


def test_a_refused_record_is_dead_lettered_and_the_run_goes_on() -> None:
    records = [_record("in", T0, "bad"), _record("in", T0 + SECOND, "good")]
    result = EventLoop([Picky(), Echo()]).run(records)
    assert [(d.processor, d.record.value["label"], d.error) for d in result.dead_letters] == [
        ("picky", "bad", "bad record")
    ]
    assert [r.value["label"] for r in result.events["echo"]] == ["echo-bad", "echo-good"]
    with pytest.raises(ZeroDivisionError):
        EventLoop([Picky()]).run([_record("in", T0, "bug")])


def test_source_records_that_go_back_in_time_are_refused() -> None:
    records = [_record("in", T0 + SECOND, "a"), _record("in", T0, "b")]
    with pytest.raises(ProcessingError, match="back in time"):
        EventLoop([Echo()]).run(records)
