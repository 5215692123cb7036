"""Volume indicators: on-balance volume and the volume-weighted average price."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from streams.indicators.base import (
    BarInput,
    Indicator,
    Values,
    read_mapping,
    read_optional_float,
)
from streams.indicators.rolling import CompensatedSum, RollingSum


class OnBalanceVolume(Indicator):
    """Running total of volume, added on an up close and subtracted on a down close.

    As TA-Lib, the first value (index 0) is the first bar's volume; an unchanged close leaves
    the total unchanged. The total is a compensated sum, exact for integer volumes.
    """

    name: ClassVar[str] = "obv"
    version: ClassVar[int] = 1
    outputs: ClassVar[tuple[str, ...]] = ("obv",)

    def __init__(self) -> None:
        self.params = ()
        self._previous_close: float | None = None
        self._total = CompensatedSum()

    def update(self, bar: BarInput) -> Values:
        previous = self._previous_close
        if previous is None or bar.close > previous:
            self._total.add(bar.volume)
        elif bar.close < previous:
            self._total.add(-bar.volume)
        self._previous_close = bar.close
        return {"obv": self._total.value}

    @property
    def ready(self) -> bool:
        return self._previous_close is not None

    def _state(self) -> dict[str, Any]:
        return {"previous_close": self._previous_close, "total": self._total.state()}

    def _load_state(self, state: Mapping[str, Any]) -> None:
        previous = read_optional_float(state, "previous_close")
        total = CompensatedSum()
        total.load(state["total"])
        self._previous_close, self._total = previous, total


class _RunningTotal:
    """A cumulative compensated sum with the interface of :class:`RollingSum`."""

    __slots__ = ("_sum",)

    full = True

    def __init__(self) -> None:
        self._sum = CompensatedSum()

    def push(self, value: float) -> None:
        self._sum.add(value)

    @property
    def sum(self) -> float:
        return self._sum.value

    def state(self) -> dict[str, Any]:
        return {"sum": self._sum.state()}

    def load(self, state: Mapping[str, Any]) -> None:
        total = CompensatedSum()
        total.load(state["sum"])
        self._sum = total


class VolumeWeightedAveragePrice(Indicator):
    """Volume-weighted average of the typical price ``(high + low + close) / 3``.

    Without a window (spec ``vwap``) it is cumulative over the whole stream of the series,
    with no session reset: an anchored VWAP from the first bar. With a window (``vwap:N``)
    it covers the last N bars. It is ``None`` while the covered volume is zero (undefined).
    """

    name: ClassVar[str] = "vwap"
    version: ClassVar[int] = 1
    outputs: ClassVar[tuple[str, ...]] = ("vwap",)

    def __init__(self, window: int | None = None) -> None:
        if window is not None and window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        self.window = window
        self.params = () if window is None else (float(window),)
        self._value: float | None = None
        self._price_volume, self._volume = self._new_totals()

    def _new_totals(self) -> tuple[RollingSum | _RunningTotal, RollingSum | _RunningTotal]:
        if self.window is None:
            return _RunningTotal(), _RunningTotal()
        return RollingSum(self.window), RollingSum(self.window)

    def update(self, bar: BarInput) -> Values:
        self._price_volume.push((bar.high + bar.low + bar.close) / 3.0 * bar.volume)
        self._volume.push(bar.volume)
        volume = self._volume.sum
        covered = self._volume.full and volume > 0
        self._value = self._price_volume.sum / volume if covered else None
        return {"vwap": self._value}

    @property
    def ready(self) -> bool:
        return self._value is not None

    def _state(self) -> dict[str, Any]:
        return {
            "value": self._value,
            "price_volume": self._price_volume.state(),
            "volume": self._volume.state(),
        }

    def _load_state(self, state: Mapping[str, Any]) -> None:
        value = read_optional_float(state, "value")
        price_volume, volume = self._new_totals()
        price_volume.load(read_mapping(state, "price_volume"))
        volume.load(read_mapping(state, "volume"))
        self._value, self._price_volume, self._volume = value, price_volume, volume
