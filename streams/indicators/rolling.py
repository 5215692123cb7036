"""O(1) building blocks: compensated sums, ring buffers, rolling sums, moments and extremes.

Float drift. A window sum kept as ``total += new - old`` for millions of updates accumulates
one rounding error per update, and the errors never leave the sum. :class:`CompensatedSum`
uses Neumaier's variant of Kahan summation: the low-order bits lost by each addition are
collected in a second float, so the error of the running value stays around one unit in the
last place of the true window sum however long the stream is, at the cost of a few extra
float operations per update. Re-summing the window every N updates would also bound the
drift, but it costs O(period) on those updates (only amortised O(1)), so it is not used.

Every block has ``state()``/``load()`` pairs of JSON-serialisable values (floats survive a
JSON round trip exactly); ``load`` validates everything before it changes anything.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from streams.indicators.base import read_float, read_int


def _floats(value: Any, key: str, *, max_length: int) -> list[float]:
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        raise TypeError(f"{key!r} must be a list of numbers")
    if len(value) > max_length:
        raise ValueError(f"{key!r} holds {len(value)} values, at most {max_length} expected")
    return [read_float({key: item}, key) for item in value]


class CompensatedSum:
    """A running sum with Neumaier compensation (add and subtract in any order)."""

    __slots__ = ("_compensation", "_total")

    def __init__(self) -> None:
        self._total = 0.0
        self._compensation = 0.0

    def add(self, value: float) -> None:
        running = self._total
        total = running + value
        if abs(running) >= abs(value):
            self._compensation += (running - total) + value
        else:
            self._compensation += (value - total) + running
        self._total = total

    @property
    def value(self) -> float:
        return self._total + self._compensation

    def state(self) -> list[float]:
        return [self._total, self._compensation]

    def load(self, state: Any) -> None:
        values = _floats(state, "sum", max_length=2)
        if len(values) != 2:
            raise ValueError(f"'sum' must be [total, compensation], got {state!r}")
        self._total, self._compensation = values


class RingBuffer:
    """The last ``capacity`` floats; :meth:`push` returns the value it evicts, if any."""

    __slots__ = ("_capacity", "_count", "_next", "_values")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self._capacity = capacity
        self._values = [0.0] * capacity
        self._next = 0
        self._count = 0

    def push(self, value: float) -> float | None:
        evicted = self._values[self._next] if self._count == self._capacity else None
        self._values[self._next] = value
        self._next = (self._next + 1) % self._capacity
        if self._count < self._capacity:
            self._count += 1
        return evicted

    @property
    def full(self) -> bool:
        return self._count == self._capacity

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def newest(self) -> float:
        """The value pushed last (the buffer must not be empty)."""
        return self._values[self._next - 1]

    def __len__(self) -> int:
        return self._count

    def ordered(self) -> list[float]:
        """Oldest first."""
        if self._count < self._capacity:
            return self._values[: self._count]
        return self._values[self._next :] + self._values[: self._next]

    def state(self) -> list[float]:
        return self.ordered()

    def load(self, state: Any) -> None:
        values = _floats(state, "buffer", max_length=self._capacity)
        self._values = values + [0.0] * (self._capacity - len(values))
        self._count = len(values)
        self._next = self._count % self._capacity


class RollingSum:
    """Sum of the last ``period`` values (compensated)."""

    __slots__ = ("_buffer", "_sum")

    def __init__(self, period: int) -> None:
        self._buffer = RingBuffer(period)
        self._sum = CompensatedSum()

    def push(self, value: float) -> None:
        evicted = self._buffer.push(value)
        self._sum.add(value)
        if evicted is not None:
            self._sum.add(-evicted)

    @property
    def full(self) -> bool:
        return self._buffer.full

    @property
    def sum(self) -> float:
        return self._sum.value

    def state(self) -> dict[str, Any]:
        return {"buffer": self._buffer.state(), "sum": self._sum.state()}

    def load(self, state: Mapping[str, Any]) -> None:
        buffer = RingBuffer(self._buffer.capacity)
        total = CompensatedSum()
        buffer.load(state["buffer"])
        total.load(state["sum"])
        self._buffer, self._sum = buffer, total


class RollingMoments:
    """Mean and population variance of the last ``period`` values.

    The sum of squared deviations (M2) is updated in place (Welford's update, extended to
    removing the value that leaves the window) instead of as ``sum(x^2) - n * mean^2``, which
    cancels catastrophically when the variance is small next to the mean (prices far from
    zero); both the sum and M2 are compensated sums, so neither drifts with stream length.
    A window of identical values has a variance of exactly 0: M2 is reset when the run of
    equal trailing values covers the window, which also discards any residue of rounding.
    """

    __slots__ = ("_buffer", "_m2", "_run", "_sum")

    def __init__(self, period: int) -> None:
        self._buffer = RingBuffer(period)
        self._sum = CompensatedSum()
        self._m2 = CompensatedSum()
        self._run = 0

    def push(self, value: float) -> None:
        count = len(self._buffer)
        self._run = self._run + 1 if count and value == self._buffer.newest else 1
        old_mean = self._sum.value / count if count else 0.0
        evicted = self._buffer.push(value)
        self._sum.add(value)
        if evicted is None:
            new_mean = self._sum.value / (count + 1)
            self._m2.add((value - old_mean) * (value - new_mean))
        else:
            self._sum.add(-evicted)
            new_mean = self._sum.value / count
            self._m2.add((value - evicted) * (value - new_mean + evicted - old_mean))
        if self._run >= self._buffer.capacity:
            self._m2 = CompensatedSum()

    @property
    def full(self) -> bool:
        return self._buffer.full

    @property
    def mean(self) -> float:
        return self._sum.value / len(self._buffer)

    @property
    def variance(self) -> float:
        """Population variance (divided by the count); never negative."""
        return max(self._m2.value / len(self._buffer), 0.0)

    def state(self) -> dict[str, Any]:
        return {"buffer": self._buffer.state(), "sum": self._sum.state(), "m2": self._m2.state()}

    def load(self, state: Mapping[str, Any]) -> None:
        buffer = RingBuffer(self._buffer.capacity)
        total, m2 = CompensatedSum(), CompensatedSum()
        buffer.load(state["buffer"])
        total.load(state["sum"])
        m2.load(state["m2"])
        values = buffer.ordered()
        run = 0
        while run < len(values) and values[-1 - run] == values[-1]:
            run += 1
        self._buffer, self._sum, self._m2, self._run = buffer, total, m2, run


class RollingExtreme:
    """Maximum (or minimum) of the last ``period`` values: a monotonic deque, amortised O(1).

    Each value enters and leaves the deque at most once, so a long run of updates costs O(1)
    per update on average; a single update may drop up to ``period`` dominated entries.
    """

    __slots__ = ("_entries", "_maximum", "_period", "_seen")

    def __init__(self, period: int, *, maximum: bool) -> None:
        if period < 1:
            raise ValueError(f"period must be >= 1, got {period}")
        self._period = period
        self._maximum = maximum
        self._entries: deque[tuple[int, float]] = deque()
        self._seen = 0

    def push(self, value: float) -> float:
        """Add a value and return the extreme of the window that now ends with it."""
        entries = self._entries
        if self._maximum:
            while entries and entries[-1][1] <= value:
                entries.pop()
        else:
            while entries and entries[-1][1] >= value:
                entries.pop()
        entries.append((self._seen, value))
        self._seen += 1
        if entries[0][0] <= self._seen - 1 - self._period:
            entries.popleft()
        return entries[0][1]

    def state(self) -> dict[str, Any]:
        return {"seen": self._seen, "entries": [[index, value] for index, value in self._entries]}

    def load(self, state: Mapping[str, Any]) -> None:
        seen = read_int(state, "seen")
        raw = state["entries"]
        if not isinstance(raw, Sequence) or len(raw) > self._period:
            raise ValueError(f"'entries' must be a list of at most {self._period} pairs")
        entries: deque[tuple[int, float]] = deque()
        for pair in raw:
            if not isinstance(pair, Sequence) or len(pair) != 2:
                raise TypeError(f"'entries' items must be [index, value] pairs, got {pair!r}")
            item = {"index": pair[0], "value": pair[1]}
            index = read_int(item, "index")
            if not seen - self._period <= index < seen:
                raise ValueError(f"entry index {index} outside the window ending at {seen}")
            entries.append((index, read_float(item, "value")))
        self._seen, self._entries = seen, entries
