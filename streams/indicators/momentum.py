"""Momentum oscillators: RSI (Wilder), MACD and the slow stochastic, with TA-Lib's conventions."""

from __future__ import annotations

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
from streams.indicators.moving_averages import SeededEma
from streams.indicators.rolling import RollingExtreme, RollingSum

# TA-Lib's TA_IS_ZERO: magnitudes below this count as zero in its divisions.
TA_ZERO = 1e-8


def _check(name: str, value: int, minimum: int) -> int:
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


class RelativeStrengthIndex(Indicator):
    """Wilder's RSI of the close.

    The first ``period`` close-to-close changes are averaged (gains and losses separately);
    from then on ``avg = (avg * (period - 1) + change) / period``. The first value is at bar
    ``period + 1`` (index ``period``), as TA-Lib with its default unstable period of 0. When
    average gain + loss is (near) zero, the RSI is 0, as in TA-Lib.
    """

    name: ClassVar[str] = "rsi"
    version: ClassVar[int] = 1
    outputs: ClassVar[tuple[str, ...]] = ("rsi",)

    def __init__(self, period: int) -> None:
        self.period = _check("period", period, 1)
        self.params = (float(period),)
        self._previous: float | None = None
        self._changes = 0
        self._gain = 0.0
        self._loss = 0.0

    def update(self, bar: BarInput) -> Values:
        close, previous = bar.close, self._previous
        self._previous = close
        if previous is None:
            return {"rsi": None}
        change = close - previous
        period = self.period
        if self._changes < period:
            self._changes += 1
            if change < 0:
                self._loss -= change
            else:
                self._gain += change
            if self._changes < period:
                return {"rsi": None}
            self._loss /= period
            self._gain /= period
        else:
            self._loss *= period - 1
            self._gain *= period - 1
            if change < 0:
                self._loss -= change
            else:
                self._gain += change
            self._loss /= period
            self._gain /= period
        total = self._gain + self._loss
        return {"rsi": 100.0 * (self._gain / total) if abs(total) >= TA_ZERO else 0.0}

    @property
    def ready(self) -> bool:
        return self._changes >= self.period

    def _state(self) -> dict[str, Any]:
        return {
            "previous": self._previous,
            "changes": self._changes,
            "gain": self._gain,
            "loss": self._loss,
        }

    def _load_state(self, state: Mapping[str, Any]) -> None:
        previous = read_optional_float(state, "previous")
        changes = read_int(state, "changes")
        gain, loss = read_float(state, "gain"), read_float(state, "loss")
        if changes > self.period or (previous is None and changes > 0):
            raise ValueError(f"inconsistent RSI state {dict(state)!r}")
        self._previous, self._changes, self._gain, self._loss = previous, changes, gain, loss


class MovingAverageConvergenceDivergence(Indicator):
    """MACD line (fast EMA - slow EMA), its signal EMA and the histogram (line - signal).

    As TA-Lib: the fast EMA starts where the slow one does (it is seeded with the SMA of the
    ``fast`` closes that end at bar ``slow``), the signal EMA is seeded with the SMA of the
    first ``signal`` MACD values, and all three outputs appear together at index
    ``slow + signal - 2``.
    """

    name: ClassVar[str] = "macd"
    version: ClassVar[int] = 1
    outputs: ClassVar[tuple[str, ...]] = ("macd", "signal", "hist")

    def __init__(self, fast: int, slow: int, signal: int) -> None:
        _check("fast", fast, 1)
        _check("signal", signal, 1)
        if slow <= fast:
            raise ValueError(f"slow period ({slow}) must be greater than fast period ({fast})")
        self.fast, self.slow, self.signal = fast, slow, signal
        self.params = (float(fast), float(slow), float(signal))
        self._bars = 0
        self._fast = SeededEma(fast)
        self._slow = SeededEma(slow)
        self._signal = SeededEma(signal)

    def update(self, bar: BarInput) -> Values:
        close = bar.close
        slow = self._slow.push(close)
        fast = self._fast.push(close) if self._bars >= self.slow - self.fast else None
        if self._bars < self.slow:
            self._bars += 1
        if slow is None or fast is None:
            return {"macd": None, "signal": None, "hist": None}
        line = fast - slow
        signal = self._signal.push(line)
        if signal is None:
            return {"macd": None, "signal": None, "hist": None}
        return {"macd": line, "signal": signal, "hist": line - signal}

    @property
    def ready(self) -> bool:
        return self._signal.value is not None

    def _state(self) -> dict[str, Any]:
        return {
            "bars": self._bars,
            "fast": self._fast.state(),
            "slow": self._slow.state(),
            "signal": self._signal.state(),
        }

    def _load_state(self, state: Mapping[str, Any]) -> None:
        bars = read_int(state, "bars")
        if bars > self.slow:
            raise ValueError(f"'bars' must be <= {self.slow}, got {bars}")
        fast, slow, signal = SeededEma(self.fast), SeededEma(self.slow), SeededEma(self.signal)
        fast.load(read_mapping(state, "fast"))
        slow.load(read_mapping(state, "slow"))
        signal.load(read_mapping(state, "signal"))
        self._bars, self._fast, self._slow, self._signal = bars, fast, slow, signal


class Stochastic(Indicator):
    """Slow stochastic: %K = SMA(slowk) of the fast %K, %D = SMA(slowd) of %K.

    Fast %K is ``100 * (close - lowest low) / (highest high - lowest low)`` over ``fastk``
    bars (0 when the range is 0), computed as TA-Lib does. Both outputs appear together at
    index ``fastk + slowk + slowd - 3``.
    """

    name: ClassVar[str] = "stoch"
    version: ClassVar[int] = 1
    outputs: ClassVar[tuple[str, ...]] = ("slowk", "slowd")

    def __init__(self, fastk: int, slowk: int, slowd: int) -> None:
        self.fastk = _check("fastk", fastk, 1)
        self.slowk = _check("slowk", slowk, 1)
        self.slowd = _check("slowd", slowd, 1)
        self.params = (float(fastk), float(slowk), float(slowd))
        self._bars = 0
        self._highest = RollingExtreme(fastk, maximum=True)
        self._lowest = RollingExtreme(fastk, maximum=False)
        self._k = RollingSum(slowk)
        self._d = RollingSum(slowd)

    def update(self, bar: BarInput) -> Values:
        highest = self._highest.push(bar.high)
        lowest = self._lowest.push(bar.low)
        if self._bars < self.fastk:
            self._bars += 1
            if self._bars < self.fastk:
                return {"slowk": None, "slowd": None}
        scale = (highest - lowest) / 100.0
        fast_k = (bar.close - lowest) / scale if scale != 0.0 else 0.0
        self._k.push(fast_k)
        if not self._k.full:
            return {"slowk": None, "slowd": None}
        slow_k = self._k.sum / self.slowk
        self._d.push(slow_k)
        if not self._d.full:
            return {"slowk": None, "slowd": None}
        return {"slowk": slow_k, "slowd": self._d.sum / self.slowd}

    @property
    def ready(self) -> bool:
        return self._d.full

    def _state(self) -> dict[str, Any]:
        return {
            "bars": self._bars,
            "highest": self._highest.state(),
            "lowest": self._lowest.state(),
            "k": self._k.state(),
            "d": self._d.state(),
        }

    def _load_state(self, state: Mapping[str, Any]) -> None:
        bars = read_int(state, "bars")
        if bars > self.fastk:
            raise ValueError(f"'bars' must be <= {self.fastk}, got {bars}")
        highest = RollingExtreme(self.fastk, maximum=True)
        lowest = RollingExtreme(self.fastk, maximum=False)
        k, d = RollingSum(self.slowk), RollingSum(self.slowd)
        highest.load(read_mapping(state, "highest"))
        lowest.load(read_mapping(state, "lowest"))
        k.load(read_mapping(state, "k"))
        d.load(read_mapping(state, "d"))
        self._bars = bars
        self._highest, self._lowest, self._k, self._d = highest, lowest, k, d
