"""Helpers of the indicator tests: OHLCV columns as arrays and bars, and running an
indicator over bars into arrays (NaN while warming up)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from streams.indicators import BarInput, Indicator

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Ohlcv:
    """Columns of a bar series plus the same data as bars."""

    time: list[datetime]
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    @property
    def bars(self) -> list[BarInput]:
        return [
            BarInput(t, o, h, lo, c, v)
            for t, o, h, lo, c, v in zip(
                self.time,
                self.open.tolist(),
                self.high.tolist(),
                self.low.tolist(),
                self.close.tolist(),
                self.volume.tolist(),
                strict=True,
            )
        ]


def run(indicator: Indicator, bars: Sequence[BarInput]) -> dict[str, FloatArray]:
    """Every output of ``indicator`` over ``bars`` as arrays, NaN where the output was None."""
    columns: dict[str, list[float]] = {name: [] for name in indicator.outputs}
    for bar in bars:
        values = indicator.update(bar)
        assert set(values) == set(indicator.outputs)
        for name, column in columns.items():
            value = values[name]
            column.append(np.nan if value is None else value)
    return {name: np.array(column, dtype=np.float64) for name, column in columns.items()}
