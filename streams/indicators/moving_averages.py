"""Moving averages of the close: SMA, EMA (seeded like TA-Lib) and WMA."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from streams.indicators.base import (
    BarInput,
    Indicator,
    Values,
    read_int,
    read_mapping,
    read_optional_float,
)
from streams.indicators.rolling import CompensatedSum, RingBuffer, RollingSum


def _check_period(period: int, minimum: int = 1) -> int:
    if period < minimum:
        raise ValueError(f"period must be >= {minimum}, got {period}")
    return period


class SeededEma:
    """EMA with ``k = 2 / (period + 1)`` whose first value is the SMA of the first period.

    This is TA-Lib's default (non-MetaStock) convention: no value for the first
    ``period - 1`` inputs, then ``ema = (x - ema) * k + ema``.
    """

    __slots__ = ("_count", "_k", "_period", "_seed", "_value")

    def __init__(self, period: int) -> None:
        self._period = _check_period(period)
        self._k = 2.0 / (period + 1)
        self._count = 0
        self._seed = 0.0
        self._value: float | None = None

    def push(self, value: float) -> float | None:
        current = self._value
        if current is not None:
            current = (value - current) * self._k + current
            self._value = current
            return current
        self._seed += value
        self._count += 1
        if self._count == self._period:
            self._value = self._seed / self._period
        return self._value

    @property
    def value(self) -> float | None:
        return self._value

    def state(self) -> dict[str, Any]:
        return {"count": self._count, "seed": self._seed, "value": self._value}

    def load(self, state: Mapping[str, Any]) -> None:
        count = read_int(state, "count")
        seed = read_optional_float(state, "seed")
        value = read_optional_float(state, "value")
        if count > self._period or (value is None) != (count < self._period) or seed is None:
            raise ValueError(f"inconsistent EMA state {dict(state)!r}")
        self._count, self._seed, self._value = count, seed, value


class SimpleMovingAverage(Indicator):
    """Mean of the last ``period`` closes; first value at bar ``period``."""

    name: ClassVar[str] = "sma"
    version: ClassVar[int] = 1
    outputs: ClassVar[tuple[str, ...]] = ("sma",)

    def __init__(self, period: int) -> None:
        self.period = _check_period(period)
        self.params = (float(period),)
        self._window = RollingSum(period)

    def update(self, bar: BarInput) -> Values:
        self._window.push(bar.close)
        return {"sma": self._window.sum / self.period if self._window.full else None}

    @property
    def ready(self) -> bool:
        return self._window.full

    def _state(self) -> dict[str, Any]:
        return {"window": self._window.state()}

    def _load_state(self, state: Mapping[str, Any]) -> None:
        self._window.load(read_mapping(state, "window"))


class ExponentialMovingAverage(Indicator):
    """EMA of the close, ``k = 2 / (period + 1)``, seeded with the SMA of the first period."""

    name: ClassVar[str] = "ema"
    version: ClassVar[int] = 1
    outputs: ClassVar[tuple[str, ...]] = ("ema",)

    def __init__(self, period: int) -> None:
        self.period = _check_period(period)
        self.params = (float(period),)
        self._ema = SeededEma(period)

    def update(self, bar: BarInput) -> Values:
        return {"ema": self._ema.push(bar.close)}

    @property
    def ready(self) -> bool:
        return self._ema.value is not None

    def _state(self) -> dict[str, Any]:
        return {"ema": self._ema.state()}

    def _load_state(self, state: Mapping[str, Any]) -> None:
        self._ema.load(read_mapping(state, "ema"))


class WeightedMovingAverage(Indicator):
    """Linearly weighted mean of the last ``period`` closes (newest weight ``period``).

    O(1) with the running-sum trick: when the window slides, every weight drops by one, so
    ``weighted = weighted - window_sum + period * new``; both sums are compensated.
    """

    name: ClassVar[str] = "wma"
    version: ClassVar[int] = 1
    outputs: ClassVar[tuple[str, ...]] = ("wma",)

    def __init__(self, period: int) -> None:
        self.period = _check_period(period)
        self.params = (float(period),)
        self._divisor = period * (period + 1) / 2
        self._buffer = RingBuffer(period)
        self._sum = CompensatedSum()
        self._weighted = CompensatedSum()

    def update(self, bar: BarInput) -> Values:
        close = bar.close
        if self._buffer.full:
            self._weighted.add(-self._sum.value)
            self._weighted.add(self.period * close)
        else:
            self._weighted.add((len(self._buffer) + 1) * close)
        evicted = self._buffer.push(close)
        self._sum.add(close)
        if evicted is not None:
            self._sum.add(-evicted)
        return {"wma": self._weighted.value / self._divisor if self._buffer.full else None}

    @property
    def ready(self) -> bool:
        return self._buffer.full

    def _state(self) -> dict[str, Any]:
        return {
            "buffer": self._buffer.state(),
            "sum": self._sum.state(),
            "weighted": self._weighted.state(),
        }

    def _load_state(self, state: Mapping[str, Any]) -> None:
        buffer = RingBuffer(self.period)
        total, weighted = CompensatedSum(), CompensatedSum()
        buffer.load(state["buffer"])
        total.load(state["sum"])
        weighted.load(state["weighted"])
        self._buffer, self._sum, self._weighted = buffer, total, weighted
