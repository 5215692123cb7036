"""The in-process event loop that runs the *same* processor classes as the live agents.

Every event (source records and every output of every processor) goes through one priority
queue ordered by ``(event_time, sequence)``; an event is delivered to every processor that
lists its topic as an input, in the order the processors were given, and their outputs are
queued in turn. Source records are merged lazily (the source must be in event-time order), so
memory stays bounded by what is in flight, not by the input size; a source record stamped
before the previous one is refused (ProcessingError). At equal event times,
outputs already queued go before the next source record: everything a bar causes at its
close is settled before the next record of that instant.

Bad records: a processor that raises :class:`~streams.errors.ProcessingError` for a record
is skipped for that record, as a live host would dead-letter it, and the failure is kept in
:attr:`LoopResult.dead_letters`; any other exception is a bug and stops the run.

Time: the loop's clock is the largest event time delivered so far; it never goes backwards.
An output stamped earlier than the clock is delivered next, before any later event, so
causality holds.

Timers: with a ``timer_interval``, ``on_timer(now)`` is called on every processor that
overrides it at each multiple of the interval (since the Unix epoch) once every event stamped
at or before that instant has been delivered; the outputs join the queue like any others.
Between two events far apart (a daily bar file), timers fire every interval for
``timer_horizon`` after the last event, then once more at the last multiple before the next
event, instead of at every idle second in between. After the input ends, timers keep firing
up to ``timer_horizon`` past the last event (the drain), which is how open bars close and
in-flight checks fire. When no processor overrides ``on_timer``, no timer fires at all.
"""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from streams.clock import ManualClock, from_micros, to_micros
from streams.errors import ProcessingError
from streams.runtime.processor import Output, Processor, Record

Observer = Callable[[Record], None]
DEFAULT_TIMER_HORIZON = timedelta(seconds=30)


def event_time_of(value: dict[str, Any]) -> datetime:
    """The envelope's event time of an event dict."""
    try:
        when = value["envelope"]["event_time"]
    except (KeyError, TypeError) as exc:
        raise ProcessingError("event has no envelope.event_time") from exc
    if not isinstance(when, datetime) or when.tzinfo is None:
        raise ProcessingError(f"envelope.event_time must be a timezone-aware datetime: {when!r}")
    return when


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record a processor refused with a ProcessingError (live: system.deadletter)."""

    processor: str
    record: Record
    error: str


@dataclass
class LoopResult:
    """Every event that went through the loop, per topic, in delivery order."""

    events: dict[str, list[Record]] = field(default_factory=lambda: defaultdict(list))
    dead_letters: list[DeadLetter] = field(default_factory=list)
    delivered: int = 0
    timers: int = 0
    last_time: datetime | None = None

    def values(self, topic: str) -> list[dict[str, Any]]:
        return [r.value for r in self.events.get(topic, [])]


def _overrides_timer(processor: Processor) -> bool:
    return type(processor).on_timer is not Processor.on_timer


class EventLoop:
    """Runs processors over a time-ordered source; see the module docstring."""

    def __init__(
        self,
        processors: Sequence[Processor],
        *,
        timer_interval: timedelta | None = None,
        timer_horizon: timedelta = DEFAULT_TIMER_HORIZON,
        observers: Sequence[Observer] = (),
        keep_topics: Iterable[str] | None = None,
    ) -> None:
        if timer_interval is not None and timer_interval <= timedelta(0):
            raise ValueError(f"timer_interval must be positive, got {timer_interval}")
        if timer_horizon < timedelta(0):
            raise ValueError(f"timer_horizon must not be negative, got {timer_horizon}")
        self._processors = list(processors)
        self._routes: dict[str, list[Processor]] = defaultdict(list)
        for processor in self._processors:
            for topic in processor.inputs:
                self._routes[topic].append(processor)
        self._timed = [p for p in self._processors if _overrides_timer(p)]
        self._interval = timer_interval if self._timed else None
        self._horizon = timer_horizon
        self._observers = list(observers)
        self._keep = set(keep_topics) if keep_topics is not None else None
        self._queue: list[tuple[datetime, int, Record]] = []
        self._sequence = itertools.count()
        self._offsets: dict[str, int] = defaultdict(int)
        self._clock: ManualClock | None = None
        self._next_timer: datetime | None = None
        self._last_event: datetime | None = None

    @property
    def now(self) -> datetime | None:
        """The loop's clock: the latest event time delivered or timer fired (None before)."""
        return None if self._clock is None else self._clock.now()

    def run(self, source: Iterable[Record]) -> LoopResult:
        """Deliver every source record and everything it causes, then drain the timers."""
        result = LoopResult()
        feed: Iterator[Record] = iter(source)
        pending = next(feed, None)
        pending_time = None if pending is None else event_time_of(pending.value)
        while True:
            head = self._queue[0][0] if self._queue else None
            upcoming = [t for t in (head, pending_time) if t is not None]
            next_time = min(upcoming) if upcoming else None
            due = self._due_timer(next_time)
            if due is not None:
                self._fire_timers(due, result)
                continue
            if next_time is None:
                break
            if (
                pending is not None
                and pending_time is not None
                and (head is None or pending_time < head)
            ):
                self._push(pending, pending_time)
                previous, pending = pending_time, next(feed, None)
                pending_time = None if pending is None else event_time_of(pending.value)
                if pending is not None and pending_time is not None and pending_time < previous:
                    raise ProcessingError(
                        f"source records go back in time: {pending_time.isoformat()} after "
                        f"{previous.isoformat()} ({pending.topic} offset {pending.offset})"
                    )
                continue
            _, _, record = heapq.heappop(self._queue)
            self._deliver(record, result)
        return result

    def _push(self, record: Record, when: datetime) -> None:
        heapq.heappush(self._queue, (when, next(self._sequence), record))

    def _deliver(self, record: Record, result: LoopResult) -> None:
        when = event_time_of(record.value)
        if self._clock is None:
            self._clock = ManualClock(when)
            if self._interval is not None:
                self._next_timer = self._first_multiple_after(when)
        elif when > self._clock.now():
            self._clock.set(when)
        self._last_event = when if self._last_event is None else max(self._last_event, when)
        result.delivered += 1
        result.last_time = self._clock.now()
        if self._keep is None or record.topic in self._keep:
            result.events[record.topic].append(record)
        for observer in self._observers:
            observer(record)
        for processor in self._routes.get(record.topic, ()):
            try:
                outputs = processor.process(record)
            except ProcessingError as exc:
                result.dead_letters.append(DeadLetter(processor.name, record, str(exc)))
                continue
            self._emit(outputs)

    def _due_timer(self, next_time: datetime | None) -> datetime | None:
        """The instant of the timer to fire before the next event, or None."""
        if self._interval is None or self._last_event is None or self._next_timer is None:
            return None
        due = self._next_timer
        if next_time is not None and due >= next_time:
            return None
        if due <= self._last_event + self._horizon:
            return due
        if next_time is None:
            return None
        # idle stretch: skip to the last multiple of the interval before the next event
        skipped = self._first_multiple_after(next_time - self._interval)
        if skipped >= next_time:
            skipped -= self._interval
        self._next_timer = max(due, skipped)
        return self._next_timer

    def _first_multiple_after(self, when: datetime) -> datetime:
        if self._interval is None:
            raise ProcessingError("internal: no timer interval")
        step = self._interval // timedelta(microseconds=1)
        micros = to_micros(when)
        return from_micros((micros // step + 1) * step)

    def _fire_timers(self, when: datetime, result: LoopResult) -> None:
        if self._clock is None or self._interval is None:
            raise ProcessingError("internal: timer fired before the first event")
        if when > self._clock.now():
            self._clock.set(when)
        result.timers += 1
        for processor in self._timed:
            self._emit(processor.on_timer(when))
        self._next_timer = when + self._interval

    def _emit(self, outputs: Sequence[Output]) -> None:
        for output in outputs:
            offset = self._offsets[output.topic]
            self._offsets[output.topic] = offset + 1
            record = Record(
                topic=output.topic,
                key=output.key,
                value=output.value,
                partition=0,
                offset=offset,
                headers=output.headers,
            )
            self._push(record, event_time_of(output.value))
