"""Volatility: Bollinger Bands and the average true range, with TA-Lib's conventions."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from streams.indicators.base import (
    BarInput,
    Indicator,
    Values,
    read_float,
    read_int,
    read_mapping,
    read_optional_float,
)
from streams.indicators.rolling import RollingMoments


def true_range(high: float, low: float, previous_close: float) -> float:
    """The largest of high - low, |high - previous close| and |low - previous close|."""
    return max(high - low, abs(high - previous_close), abs(low - previous_close))


class BollingerBands(Indicator):
    """SMA of the close (middle) +/- ``k`` population standard deviations over ``period``.

    TA-Lib's default (SMA middle band, population deviation, the same ``k`` up and down);
    first values at index ``period - 1``. The variance comes from a drift-free rolling
    update (see :class:`~streams.indicators.rolling.RollingMoments`) rather than TA-Lib's
    ``E[x^2] - mean^2``, which is why results agree to ~1e-12, not bit for bit.
    """

    name: ClassVar[str] = "bbands"
    version: ClassVar[int] = 1
    outputs: ClassVar[tuple[str, ...]] = ("upper", "middle", "lower")

    def __init__(self, period: int, k: float) -> None:
        if period < 1:
            raise ValueError(f"period must be >= 1, got {period}")
        if not math.isfinite(k) or k <= 0:
            raise ValueError(f"k must be a positive number, got {k}")
        self.period, self.k = period, float(k)
        self.params = (float(period), float(k))
        self._moments = RollingMoments(period)

    def update(self, bar: BarInput) -> Values:
        moments = self._moments
        moments.push(bar.close)
        if not moments.full:
            return {"upper": None, "middle": None, "lower": None}
        middle = moments.mean
        width = self.k * math.sqrt(moments.variance)
        return {"upper": middle + width, "middle": middle, "lower": middle - width}

    @property
    def ready(self) -> bool:
        return self._moments.full

    def _state(self) -> dict[str, Any]:
        return {"moments": self._moments.state()}

    def _load_state(self, state: Mapping[str, Any]) -> None:
        self._moments.load(read_mapping(state, "moments"))


class AverageTrueRange(Indicator):
    """Wilder's average true range.

    The true range needs the previous close, so the first one is at index 1; the first ATR
    (index ``period``) is the mean of the first ``period`` true ranges, then
    ``atr = (atr * (period - 1) + tr) / period``.
    """

    name: ClassVar[str] = "atr"
    version: ClassVar[int] = 1
    outputs: ClassVar[tuple[str, ...]] = ("atr",)

    def __init__(self, period: int) -> None:
        if period < 1:
            raise ValueError(f"period must be >= 1, got {period}")
        self.period = period
        self.params = (float(period),)
        self._previous_close: float | None = None
        self._ranges = 0
        self._seed = 0.0
        self._atr: float | None = None

    def update(self, bar: BarInput) -> Values:
        previous = self._previous_close
        self._previous_close = bar.close
        if previous is None:
            return {"atr": None}
        tr = true_range(bar.high, bar.low, previous)
        atr = self._atr
        if atr is not None:
            atr *= self.period - 1
            atr += tr
            atr /= self.period
        else:
            self._ranges += 1
            self._seed += tr
            if self._ranges == self.period:
                atr = self._seed / self.period
        self._atr = atr
        return {"atr": atr}

    @property
    def ready(self) -> bool:
        return self._atr is not None

    def _state(self) -> dict[str, Any]:
        return {
            "previous_close": self._previous_close,
            "ranges": self._ranges,
            "seed": self._seed,
            "atr": self._atr,
        }

    def _load_state(self, state: Mapping[str, Any]) -> None:
        previous = read_optional_float(state, "previous_close")
        ranges = read_int(state, "ranges")
        seed = read_float(state, "seed")
        atr = read_optional_float(state, "atr")
        if ranges > self.period or (atr is None) != (ranges < self.period):
            raise ValueError(f"inconsistent ATR state {dict(state)!r}")
        self._previous_close, self._ranges, self._seed, self._atr = previous, ranges, seed, atr
