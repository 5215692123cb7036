"""The indicator contract: one OHLCV bar in, the indicator's outputs for that bar out.

Every indicator is incremental: :meth:`Indicator.update` costs O(1) (amortised O(1) for the
rolling extremes of the stochastic) whatever the period, and the whole state is explicit and
JSON-serialisable (:meth:`Indicator.snapshot` / :meth:`Indicator.restore`), so an agent can
write it to its snapshot topic and a fresh instance continues exactly where the old one
stopped. Indicator values are analytics and therefore floats, never Decimals.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from streams.indicators.errors import IndicatorStateError

Values = dict[str, float | None]


@dataclass(frozen=True, slots=True)
class BarInput:
    """One OHLCV bar as floats; ``time`` is the bar's end (timezone-aware)."""

    time: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float


class Indicator(ABC):
    """Base class of every indicator.

    Subclasses set the class attributes ``name``, ``version`` (bump on any change of the
    outputs) and ``outputs`` (single-output indicators use ``(name,)``), store their
    parameters in ``params`` and implement :meth:`update`, :attr:`ready`, :meth:`_state` and
    :meth:`_load_state`. An output is ``None`` while it warms up; :attr:`ready` is true once
    every output has a value (multi-output indicators may warm up output by output, e.g. the
    ADX's +DI/-DI come before the ADX itself).
    """

    name: ClassVar[str]
    version: ClassVar[int]
    outputs: ClassVar[tuple[str, ...]]
    params: tuple[float, ...]

    @abstractmethod
    def update(self, bar: BarInput) -> Values:
        """Consume one bar and return every output (``None`` while warming up)."""

    @property
    @abstractmethod
    def ready(self) -> bool:
        """True once every output has a value."""

    @abstractmethod
    def _state(self) -> dict[str, Any]:
        """The algorithm's state as JSON-serialisable values."""

    @abstractmethod
    def _load_state(self, state: Mapping[str, Any]) -> None:
        """Replace the state with one produced by :meth:`_state`.

        Implementations read and validate every value before assigning any, so a bad
        state leaves the indicator unchanged.
        """

    def snapshot(self) -> dict[str, Any]:
        """The explicit state, tagged with the indicator, its parameters and version."""
        return {
            "indicator": self.name,
            "params": list(self.params),
            "version": self.version,
            "state": self._state(),
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Continue from a :meth:`snapshot` of an identical indicator (name, params, version)."""
        expected = (self.name, list(self.params), self.version)
        found = (state.get("indicator"), state.get("params"), state.get("version"))
        if found != expected:
            raise IndicatorStateError(
                f"snapshot of {found[0]!r} params {found[1]!r} version {found[2]!r} cannot be "
                f"restored into {self.name!r} params {expected[1]!r} version {self.version}"
            )
        body = state.get("state")
        if not isinstance(body, Mapping):
            raise IndicatorStateError(f"{self.name}: snapshot has no 'state' mapping")
        try:
            self._load_state(body)
        except (KeyError, TypeError, ValueError) as exc:
            raise IndicatorStateError(f"{self.name}: malformed snapshot state: {exc}") from exc

    def __repr__(self) -> str:
        params = ":".join(format_number(p) for p in self.params)
        return f"<{type(self).__name__} {self.name}{':' if params else ''}{params}>"


def format_number(value: float) -> str:
    """``20.0`` -> ``"20"``, ``1.5`` -> ``"1.5"``: how parameters appear in specs."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def read_float(state: Mapping[str, Any], key: str) -> float:
    """A finite float from a state mapping (ints are accepted, bools are not)."""
    value = state[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{key!r} must be a number, got {value!r}")
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(f"{key!r} must be finite, got {value!r}")
    return result


def read_optional_float(state: Mapping[str, Any], key: str) -> float | None:
    """Like :func:`read_float`, but ``None`` is allowed."""
    return None if state[key] is None else read_float(state, key)


def read_int(state: Mapping[str, Any], key: str, *, minimum: int = 0) -> int:
    """An integer >= ``minimum`` from a state mapping."""
    value = state[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{key!r} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{key!r} must be >= {minimum}, got {value}")
    return value


def read_mapping(state: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A nested mapping (the state of a building block) from a state mapping."""
    value = state[key]
    if not isinstance(value, Mapping):
        raise TypeError(f"{key!r} must be a mapping, got {type(value).__name__}")
    return value
