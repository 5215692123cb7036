"""Validation of a strategy object and what the processor needs to join its inputs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from streams.errors import ConfigError
from streams.indicators.registry import IndicatorSpec, parse_spec
from streams.strategy.base import Strategy
from streams.strategy.errors import StrategyConfigError

IndicatorKey = tuple[str, str]
"""``(indicator name, parameters text)`` as carried by ``indicator.value`` events."""

_NAME: Final = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class PreparedStrategy:
    """A validated strategy with its parsed indicator specs and join keys."""

    strategy: Strategy
    specs: Mapping[str, IndicatorSpec]
    keys: Mapping[str, IndicatorKey]
    required: frozenset[IndicatorKey]
    fingerprint: str

    @property
    def name(self) -> str:
        return self.strategy.name

    @property
    def version(self) -> int:
        return self.strategy.version


def indicator_key(spec: IndicatorSpec) -> IndicatorKey:
    return (spec.name, spec.parameters_text)


def prepare(strategy: Strategy, *, source: str | None = None) -> PreparedStrategy:
    """Validate ``strategy``'s declared members; raise StrategyConfigError naming the member."""
    where = source or f"{type(strategy).__module__}:{type(strategy).__qualname__}"
    name = getattr(strategy, "name", None)
    if not isinstance(name, str) or not _NAME.match(name):
        raise StrategyConfigError(
            "name", f"must be a snake_case name, got {name!r}", source=where, name="name"
        )
    version = getattr(strategy, "version", None)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise StrategyConfigError(
            "version", f"must be an integer >= 1, got {version!r}", source=where, name="version"
        )
    instruments = getattr(strategy, "instruments", None)
    if (
        not isinstance(instruments, tuple)
        or not instruments
        or not all(isinstance(i, str) and i for i in instruments)
    ):
        raise StrategyConfigError(
            "instruments",
            f"must be a non-empty tuple of instrument names (or ('*',)), got {instruments!r}",
            source=where,
            name="instruments",
        )
    if not isinstance(strategy.account, str) or not strategy.account:
        raise StrategyConfigError(
            "account", "must be a non-empty string", source=where, name="account"
        )
    limit = strategy.rate_limit
    if limit.max_intents < 1 or limit.window_seconds <= 0:
        raise StrategyConfigError(
            "rate_limit",
            f"needs max_intents >= 1 and window_seconds > 0, got {limit}",
            source=where,
            name="rate_limit",
        )
    specs: dict[str, IndicatorSpec] = {}
    for alias, text in strategy.indicators.items():
        try:
            specs[alias] = parse_spec(text)
        except ConfigError as exc:
            raise StrategyConfigError(
                f"indicators.{alias}", str(exc), source=where, name=alias
            ) from exc
    keys = {alias: indicator_key(spec) for alias, spec in specs.items()}
    return PreparedStrategy(
        strategy=strategy,
        specs=specs,
        keys=keys,
        required=frozenset(keys.values()),
        fingerprint=strategy.fingerprint(),
    )
