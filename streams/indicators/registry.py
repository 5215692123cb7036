"""Indicator specs (``"macd:12:26:9"``) and the table of known indicators.

A spec is ``name[:param[:param...]]``. Parameters are positional, validated against the
indicator's definition (integer or not, minimum) and normalised (``ema:20.0`` is ``ema:20``),
so two spellings of one indicator have the same :attr:`IndicatorSpec.text`, event ids and
column names. Every problem raises :class:`~streams.errors.ConfigError` naming the spec.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from streams.errors import ConfigError
from streams.indicators.base import Indicator, format_number
from streams.indicators.momentum import (
    MovingAverageConvergenceDivergence,
    RelativeStrengthIndex,
    Stochastic,
)
from streams.indicators.moving_averages import (
    ExponentialMovingAverage,
    SimpleMovingAverage,
    WeightedMovingAverage,
)
from streams.indicators.trend import AverageDirectionalIndex
from streams.indicators.volatility import AverageTrueRange, BollingerBands
from streams.indicators.volume import OnBalanceVolume, VolumeWeightedAveragePrice


@dataclass(frozen=True, slots=True)
class Parameter:
    """One positional parameter of an indicator."""

    name: str
    integer: bool = True
    minimum: float = 1
    exclusive_minimum: bool = False
    optional: bool = False

    def describe(self) -> str:
        kind = "integer" if self.integer else "number"
        bound = ">" if self.exclusive_minimum else ">="
        optional = ", optional" if self.optional else ""
        return f"{self.name} ({kind} {bound} {format_number(self.minimum)}{optional})"


@dataclass(frozen=True, slots=True)
class IndicatorDefinition:
    """A known indicator: its parameters, outputs and how to build it."""

    name: str
    parameters: tuple[Parameter, ...]
    outputs: tuple[str, ...]
    build: Callable[[tuple[float, ...]], Indicator]
    description: str

    @property
    def usage(self) -> str:
        parts = [f"[:{p.name}]" if p.optional else f":{p.name}" for p in self.parameters]
        return self.name + "".join(parts)


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """A validated, normalised indicator spec such as ``macd:12:26:9``."""

    name: str
    params: tuple[float, ...]
    outputs: tuple[str, ...]

    @property
    def parameters_text(self) -> str:
        """``"12:26:9"`` (empty for an indicator without parameters)."""
        return ":".join(format_number(p) for p in self.params)

    @property
    def text(self) -> str:
        """The canonical spec, e.g. ``"macd:12:26:9"``."""
        return f"{self.name}:{self.parameters_text}" if self.params else self.name

    @property
    def key(self) -> str:
        """Identifier-safe form, e.g. ``"macd_12_26_9"``; a decimal point becomes ``p``."""
        return "_".join((self.name, *(format_number(p).replace(".", "p") for p in self.params)))

    def column(self, output: str) -> str:
        """Column of one output: ``"macd_12_26_9_signal"``; single-output: ``"ema_20"``."""
        if output not in self.outputs:
            raise KeyError(f"{self.text} has no output {output!r} (outputs: {self.outputs})")
        return self.key if self.outputs == (self.name,) else f"{self.key}_{output}"

    @property
    def columns(self) -> tuple[str, ...]:
        """Every output's column, in output order."""
        return tuple(self.column(output) for output in self.outputs)

    def __str__(self) -> str:
        return self.text


def _period(name: str = "period", minimum: int = 2) -> Parameter:
    return Parameter(name, integer=True, minimum=minimum)


_DEFINITIONS: tuple[IndicatorDefinition, ...] = (
    IndicatorDefinition(
        "sma",
        (_period(),),
        SimpleMovingAverage.outputs,
        lambda p: SimpleMovingAverage(int(p[0])),
        "simple moving average of the close",
    ),
    IndicatorDefinition(
        "ema",
        (_period(),),
        ExponentialMovingAverage.outputs,
        lambda p: ExponentialMovingAverage(int(p[0])),
        "exponential moving average of the close, seeded with the SMA of the first period",
    ),
    IndicatorDefinition(
        "wma",
        (_period(),),
        WeightedMovingAverage.outputs,
        lambda p: WeightedMovingAverage(int(p[0])),
        "linearly weighted moving average of the close",
    ),
    IndicatorDefinition(
        "rsi",
        (_period(),),
        RelativeStrengthIndex.outputs,
        lambda p: RelativeStrengthIndex(int(p[0])),
        "Wilder's relative strength index of the close",
    ),
    IndicatorDefinition(
        "macd",
        (_period("fast"), _period("slow"), _period("signal", minimum=1)),
        MovingAverageConvergenceDivergence.outputs,
        lambda p: MovingAverageConvergenceDivergence(int(p[0]), int(p[1]), int(p[2])),
        "fast EMA - slow EMA, its signal EMA and the histogram",
    ),
    IndicatorDefinition(
        "bbands",
        (_period(), Parameter("k", integer=False, minimum=0, exclusive_minimum=True)),
        BollingerBands.outputs,
        lambda p: BollingerBands(int(p[0]), p[1]),
        "Bollinger Bands: SMA of the close +/- k population standard deviations",
    ),
    IndicatorDefinition(
        "atr",
        (_period(minimum=1),),
        AverageTrueRange.outputs,
        lambda p: AverageTrueRange(int(p[0])),
        "Wilder's average true range",
    ),
    IndicatorDefinition(
        "adx",
        (_period(),),
        AverageDirectionalIndex.outputs,
        lambda p: AverageDirectionalIndex(int(p[0])),
        "Wilder's average directional index with +DI and -DI",
    ),
    IndicatorDefinition(
        "stoch",
        (_period("fastk", minimum=1), _period("slowk", minimum=1), _period("slowd", minimum=1)),
        Stochastic.outputs,
        lambda p: Stochastic(int(p[0]), int(p[1]), int(p[2])),
        "slow stochastic oscillator (%K and %D smoothed with SMAs)",
    ),
    IndicatorDefinition(
        "vwap",
        (Parameter("window", minimum=1, optional=True),),
        VolumeWeightedAveragePrice.outputs,
        lambda p: VolumeWeightedAveragePrice(int(p[0]) if p else None),
        "volume-weighted typical price: cumulative, or rolling over a window of bars",
    ),
    IndicatorDefinition(
        "obv",
        (),
        OnBalanceVolume.outputs,
        lambda p: OnBalanceVolume(),
        "on-balance volume",
    ),
)

INDICATORS: dict[str, IndicatorDefinition] = {d.name: d for d in _DEFINITIONS}


def parse_spec(spec: str) -> IndicatorSpec:
    """Parse and validate ``"name[:param...]"``; raises ConfigError naming the spec."""
    field = f"indicator spec {spec!r}"
    name, *raw_params = (part.strip() for part in spec.strip().split(":"))
    definition = INDICATORS.get(name.lower())
    if definition is None:
        known = ", ".join(sorted(INDICATORS))
        raise ConfigError(field, f"unknown indicator {name!r} (known: {known})")
    required = sum(1 for p in definition.parameters if not p.optional)
    if not required <= len(raw_params) <= len(definition.parameters):
        raise ConfigError(
            field,
            f"expected {definition.usage} ({_count(required, len(definition.parameters))}), "
            f"got {len(raw_params)}",
        )
    params = tuple(
        _parse_parameter(field, parameter, text)
        for parameter, text in zip(definition.parameters, raw_params, strict=False)
    )
    parsed = IndicatorSpec(definition.name, params, definition.outputs)
    try:
        definition.build(params)
    except ValueError as exc:
        raise ConfigError(field, str(exc)) from exc
    return parsed


def parse_specs(text: str | Sequence[str], *, field: str = "spec") -> tuple[IndicatorSpec, ...]:
    """Parse a comma-separated list (or a sequence) of specs; duplicates are refused.

    Errors are re-raised as ConfigError on ``field`` (e.g. ``--spec`` or an env variable),
    keeping the offending spec in the message.
    """
    items = text.split(",") if isinstance(text, str) else list(text)
    specs: list[IndicatorSpec] = []
    for item in items:
        if not item.strip():
            raise ConfigError(field, f"empty indicator spec in {text!r}")
        try:
            parsed = parse_spec(item)
        except ConfigError as exc:
            raise ConfigError(field, str(exc)) from exc
        if parsed in specs:
            raise ConfigError(field, f"indicator spec {parsed.text!r} is listed twice")
        specs.append(parsed)
    if not specs:
        raise ConfigError(field, "no indicator specs given")
    return tuple(specs)


def create(spec: str | IndicatorSpec) -> Indicator:
    """A fresh indicator for a spec; a hand-made :class:`IndicatorSpec` is validated too."""
    parsed = parse_spec(spec if isinstance(spec, str) else spec.text)
    return INDICATORS[parsed.name].build(parsed.params)


def _parse_parameter(field: str, parameter: Parameter, text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise ConfigError(field, f"{parameter.name} must be a number, got {text!r}") from exc
    if not math.isfinite(value):
        raise ConfigError(field, f"{parameter.name} must be finite, got {text!r}")
    if parameter.integer and not value.is_integer():
        raise ConfigError(field, f"{parameter.name} must be an integer, got {text!r}")
    too_small = (
        value <= parameter.minimum if parameter.exclusive_minimum else value < parameter.minimum
    )
    if too_small:
        raise ConfigError(field, f"{parameter.describe()}: got {text!r}")
    return value


def _count(required: int, total: int) -> str:
    if required == total:
        return f"{total} parameter{'s' if total != 1 else ''}"
    return f"{required} to {total} parameters"
