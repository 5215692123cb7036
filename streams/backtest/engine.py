"""The in-process event loop that runs the *same* processor classes as the live agents.

Every event (source records and every output of every processor) goes through one priority
queue ordered by ``(event_time, sequence)``; an event is delivered to every processor that
lists its topic as an input, in the order the processors were given, and their outputs are
queued in turn. Source records are merged lazily (the source must be in event-time order), so
memory stays bounded by what is in flight, not by the input size.

Time: the loop's clock is the largest event time delivered so far; it never goes backwards.
An output stamped earlier than the clock (e.g. a fill at the open of a bar that has just
closed) is delivered next, before any later event, so causality holds. ``on_timer`` is called
on every processor whenever the clock crosses a multiple of ``timer_interval`` and once more
after the input ends (``drain``), which is how bars close and in-flight checks fire.
"""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from streams.clock import ManualClock
from streams.errors import ProcessingError
from streams.runtime.processor import Output, Processor, Record

Observer = Callable[[Record], None]


def event_time_of(value: dict[str, Any]) -> datetime:
    """The envelope's event time of an event dict."""
    try:
        when = value["envelope"]["event_time"]
    except (KeyError, TypeError) as exc:
        raise ProcessingError("event has no envelope.event_time") from exc
    if not isinstance(when, datetime) or when.tzinfo is None:
        raise ProcessingError(f"envelope.event_time must be a timezone-aware datetime: {when!r}")
    return when


@dataclass
class LoopResult:
    """Every event that went through the loop, per topic, in delivery order."""

    events: dict[str, list[Record]] = field(default_factory=lambda: defaultdict(list))
    delivered: int = 0
    last_time: datetime | None = None

    def values(self, topic: str) -> list[dict[str, Any]]:
        return [r.value for r in self.events.get(topic, [])]


class EventLoop:
    """Runs processors over a time-ordered source; see the module docstring."""

    def __init__(
        self,
        processors: Sequence[Processor],
        *,
        timer_interval: timedelta | None = None,
        observers: Sequence[Observer] = (),
        keep_topics: Iterable[str] | None = None,
    ) -> None:
        self._processors = list(processors)
        self._routes: dict[str, list[Processor]] = defaultdict(list)
        for processor in self._processors:
            for topic in processor.inputs:
                self._routes[topic].append(processor)
        self._timer_interval = timer_interval
        self._observers = list(observers)
        self._keep = set(keep_topics) if keep_topics is not None else None
        self._queue: list[tuple[datetime, int, Record]] = []
        self._sequence = itertools.count()
        self._offsets: dict[str, int] = defaultdict(int)
        self._clock: ManualClock | None = None
        self._next_timer: datetime | None = None

    def run(self, source: Iterable[Record]) -> LoopResult:
        result = LoopResult()
        feed: Iterator[Record] = iter(source)
        pending = next(feed, None)
        while pending is not None or self._queue:
            if pending is not None and (
                not self._queue or event_time_of(pending.value) < self._queue[0][0]
            ):
                self._push(pending)
                pending = next(feed, None)
                continue
            _, _, record = heapq.heappop(self._queue)
            self._deliver(record, result)
        self.drain(result)
        return result

    def drain(self, result: LoopResult) -> None:
        """Fire timers once past the last event so open bars and timeouts resolve."""
        if self._clock is None:
            return
        step = self._timer_interval or timedelta(seconds=1)
        self._fire_timers(self._clock.now() + step, result)
        while self._queue:
            _, _, record = heapq.heappop(self._queue)
            self._deliver(record, result)

    def _push(self, record: Record) -> None:
        heapq.heappush(self._queue, (event_time_of(record.value), next(self._sequence), record))

    def _deliver(self, record: Record, result: LoopResult) -> None:
        when = event_time_of(record.value)
        if self._clock is None:
            self._clock = ManualClock(when)
        elif when > self._clock.now():
            self._fire_timers(when, result)
            self._clock.set(when)
        result.delivered += 1
        result.last_time = self._clock.now()
        if self._keep is None or record.topic in self._keep:
            result.events[record.topic].append(record)
        for observer in self._observers:
            observer(record)
        for processor in self._routes.get(record.topic, ()):
            self._emit(processor.process(record))

    def _fire_timers(self, until: datetime, result: LoopResult) -> None:
        if self._timer_interval is None or self._clock is None:
            return
        if self._next_timer is None:
            self._next_timer = self._clock.now() + self._timer_interval
        while self._next_timer <= until:
            self._clock.set(max(self._clock.now(), self._next_timer))
            for processor in self._processors:
                self._emit(processor.on_timer(self._next_timer))
            self._next_timer += self._timer_interval
        del result

    def _emit(self, outputs: Sequence[Output]) -> None:
        for output in outputs:
            offset = self._offsets[output.topic]
            self._offsets[output.topic] = offset + 1
            self._push(
                Record(
                    topic=output.topic,
                    key=output.key,
                    value=output.value,
                    partition=0,
                    offset=offset,
                    headers=output.headers,
                )
            )
