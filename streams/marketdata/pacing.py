"""Pacing a source's publication to its events' times with an injected clock.

A feed whose event times advance at some rate can be published "in real time" (an event is
published once as much clock time has passed since the first event as event time has) or
as fast as possible (``speed`` 0). ``speed`` 2 replays twice as fast as the events happened.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from streams.clock import Clock


class Pacer:
    """Waits until an event is due; ``sleep`` is injected so tests can use a ManualClock."""

    def __init__(
        self,
        clock: Clock,
        sleep: Callable[[float], None],
        *,
        speed: float,
        max_sleep: float = 0.1,
    ) -> None:
        if speed < 0:
            raise ValueError(f"speed must be >= 0 (0 = as fast as possible), got {speed}")
        self._clock = clock
        self._sleep = sleep
        self._speed = speed
        self._max_sleep = max_sleep
        self._origin: tuple[datetime, float] | None = None

    def wait_until_due(self, event_time: datetime, should_stop: Callable[[], bool]) -> bool:
        """Block until ``event_time`` is due; False if ``should_stop()`` became true meanwhile."""
        if self._speed == 0:
            return not should_stop()
        if self._origin is None:
            self._origin = (event_time, self._clock.monotonic())
        first_event, first_mono = self._origin
        due = first_mono + (event_time - first_event).total_seconds() / self._speed
        while not should_stop():
            remaining = due - self._clock.monotonic()
            if remaining <= 0:
                return True
            self._sleep(min(remaining, self._max_sleep))
        return False
