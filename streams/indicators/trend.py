"""Trend strength: Wilder's average directional index with +DI and -DI, as TA-Lib computes it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from streams.indicators.base import (
    BarInput,
    Indicator,
    Values,
    read_float,
    read_int,
    read_optional_float,
)
from streams.indicators.momentum import TA_ZERO
from streams.indicators.volatility import true_range


class AverageDirectionalIndex(Indicator):
    """ADX, +DI and -DI over ``period`` bars (Wilder smoothing, TA-Lib's seeding).

    Bar 0 only provides the previous high, low and close. The directional movements and
    true ranges of bars 1 .. period-1 are summed; from bar ``period`` on each sum is smoothed
    as ``s = s - s / period + x`` and ``+DI = 100 * +DM / TR`` (0 when TR is 0), so the DIs
    start at index ``period``. The DX values of bars period .. 2*period-1 are averaged into
    the first ADX (index ``2 * period - 1``); then ``adx = (adx * (period-1) + dx) / period``.
    A DX is skipped (the ADX keeps its value) when TR or +DI + -DI is (near) zero.
    """

    name: ClassVar[str] = "adx"
    version: ClassVar[int] = 1
    outputs: ClassVar[tuple[str, ...]] = ("adx", "plus_di", "minus_di")

    def __init__(self, period: int) -> None:
        if period < 2:
            raise ValueError(f"period must be >= 2, got {period}")
        self.period = period
        self.params = (float(period),)
        self._bars = 0
        self._high = 0.0
        self._low = 0.0
        self._close = 0.0
        self._plus_dm = 0.0
        self._minus_dm = 0.0
        self._tr = 0.0
        self._dx_sum = 0.0
        self._adx: float | None = None

    def update(self, bar: BarInput) -> Values:
        bars, period = self._bars, self.period
        if bars == 0:
            self._high, self._low, self._close = bar.high, bar.low, bar.close
            self._bars = 1
            return {"adx": None, "plus_di": None, "minus_di": None}
        up = bar.high - self._high
        down = self._low - bar.low
        tr = true_range(bar.high, bar.low, self._close)
        self._high, self._low, self._close = bar.high, bar.low, bar.close
        if bars >= period:
            self._plus_dm -= self._plus_dm / period
            self._minus_dm -= self._minus_dm / period
            self._tr = self._tr - self._tr / period + tr
        else:
            self._tr += tr
        if down > 0 and up < down:
            self._minus_dm += down
        elif up > 0 and up > down:
            self._plus_dm += up
        if bars < 2 * period:
            self._bars = bars + 1
        if bars < period:
            return {"adx": None, "plus_di": None, "minus_di": None}
        plus_di = minus_di = 0.0
        if abs(self._tr) >= TA_ZERO:
            plus_di = 100.0 * (self._plus_dm / self._tr)
            minus_di = 100.0 * (self._minus_dm / self._tr)
            di_sum = plus_di + minus_di
            if abs(di_sum) >= TA_ZERO:
                dx = 100.0 * (abs(minus_di - plus_di) / di_sum)
                if self._adx is not None:
                    self._adx = (self._adx * (period - 1) + dx) / period
                else:
                    self._dx_sum += dx
        if self._adx is None and bars == 2 * period - 1:
            self._adx = self._dx_sum / period
        return {"adx": self._adx, "plus_di": plus_di, "minus_di": minus_di}

    @property
    def ready(self) -> bool:
        return self._adx is not None

    def _state(self) -> dict[str, Any]:
        return {
            "bars": self._bars,
            "high": self._high,
            "low": self._low,
            "close": self._close,
            "plus_dm": self._plus_dm,
            "minus_dm": self._minus_dm,
            "tr": self._tr,
            "dx_sum": self._dx_sum,
            "adx": self._adx,
        }

    def _load_state(self, state: Mapping[str, Any]) -> None:
        bars = read_int(state, "bars")
        values = [read_float(state, key) for key in _FLOAT_KEYS]
        adx = read_optional_float(state, "adx")
        if bars > 2 * self.period or (adx is not None and bars < 2 * self.period):
            raise ValueError(f"inconsistent ADX state {dict(state)!r}")
        self._bars, self._adx = bars, adx
        (
            self._high,
            self._low,
            self._close,
            self._plus_dm,
            self._minus_dm,
            self._tr,
            self._dx_sum,
        ) = values


_FLOAT_KEYS = ("high", "low", "close", "plus_dm", "minus_dm", "tr", "dx_sum")
