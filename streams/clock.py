"""Clocks are injected, never read directly by logic.

Processors take time from events (event time). Hosts and connectors that need "now"
(ingest time, snapshot intervals, timeouts) receive a :class:`Clock`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Source of the current time for hosts and connectors."""

    def now(self) -> datetime:
        """Current UTC time (timezone-aware)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a monotonic scale, for intervals and timeouts."""
        ...


class SystemClock:
    """The real clock; the only place that reads the wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock tests and the backtest engine move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start if start is not None else datetime(2024, 1, 1, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._mono = 0.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, delta: timedelta | float) -> None:
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        self._now += step
        self._mono += step.total_seconds()

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("ManualClock.set needs a timezone-aware time")
        self._mono += (when - self._now).total_seconds()
        self._now = when


def to_micros(when: datetime) -> int:
    """Microseconds since the epoch for a timezone-aware datetime."""
    if when.tzinfo is None:
        raise ValueError("naive datetime: event times must be timezone-aware (UTC)")
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    """Timezone-aware UTC datetime from microseconds since the epoch."""
    return _EPOCH + timedelta(microseconds=micros)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
