"""A YAML strategy compiled to the :class:`~streams.strategy.base.Strategy` interface.

Per bar, every rule's condition is evaluated (so crossover memories see every bar), then:

1. exits, in file order: the first exit that fires while a position it applies to is open
   closes the whole position (an opposite-side intent for ``abs(position)``);
2. entries, in file order: an entry that fires is taken when the strategy is flat, or, when
   ``max_position`` is set, when the position is flat or on the same side and below
   ``max_position`` (pyramiding; the size is cut to the room left). An entry never flips an
   open position on the other side: an exit must close it first (it may on the same bar).

A rule whose expressions use an indicator that is not ready (warm-up) does not fire.

Size: ``quantity: Q`` (fixed) or ``size: {risk_fraction: f, stop_distance: EXPR}`` with a
strategy-level ``capital: C``: ``quantity = floor_to_lot(C * f / stop_distance)``, so that
being stopped out ``stop_distance`` away loses at most ``f`` of the capital. Quantities are
rounded down to ``lot_size``; zero (or an unknown / non-positive stop distance) means no
intent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Literal

from streams.decimals import ZERO, q, round_to_increment
from streams.strategy.base import (
    Bar,
    BarContext,
    IntentRequest,
    RateLimit,
    Side,
    Strategy,
    TimeInForce,
)
from streams.strategy.dsl import CompiledExpression, Scope
from streams.strategy.dsl.compiler import Pair, Value

AppliesTo = Literal["long", "short", "any"]


@dataclass(frozen=True, slots=True)
class RiskSize:
    """``capital * risk_fraction / stop_distance`` units."""

    risk_fraction: Decimal
    stop_distance: CompiledExpression


@dataclass(frozen=True, slots=True)
class EntryRule:
    label: str
    when: CompiledExpression
    side: Side
    size: Decimal | RiskSize
    limit: CompiledExpression | None
    time_in_force: TimeInForce | None
    max_position: Decimal | None
    aliases: frozenset[str]


@dataclass(frozen=True, slots=True)
class ExitRule:
    label: str
    when: CompiledExpression
    applies_to: AppliesTo
    limit: CompiledExpression | None
    time_in_force: TimeInForce | None
    aliases: frozenset[str]


@dataclass(frozen=True, slots=True)
class StrategyBody:
    """Everything a YAML file declares besides the identity fields."""

    entries: tuple[EntryRule, ...]
    exits: tuple[ExitRule, ...]
    outputs: Mapping[str, tuple[str, ...]]
    crossovers: int
    capital: Decimal | None
    lot_size: Decimal
    tick_size: Decimal | None


class DslStrategy(Strategy):
    """A strategy compiled from YAML (see :mod:`streams.strategy.yaml_loader`)."""

    def __init__(
        self,
        *,
        name: str,
        version: int,
        instruments: tuple[str, ...],
        indicators: Mapping[str, str],
        account: str,
        interval_seconds: int | None,
        rate_limit: RateLimit,
        body: StrategyBody,
        content: str,
        description: str = "",
    ) -> None:
        self.name = name
        self.version = version
        self.instruments = instruments
        self.indicators = dict(indicators)
        self.account = account
        self.interval_seconds = interval_seconds
        self.rate_limit = rate_limit
        self.body = body
        self.description = description
        self._content = content

    def fingerprint(self) -> str:
        return self._content

    def on_bar(self, ctx: BarContext, bar: Bar) -> list[IntentRequest]:
        body = self.body
        scope = Scope(self._features(ctx, bar), _previous(ctx.memory, body.crossovers))
        exits = [self._fires(rule.when, rule.aliases, scope, ctx) for rule in body.exits]
        entries = [self._fires(rule.when, rule.aliases, scope, ctx) for rule in body.entries]
        ctx.memory["crossovers"] = [None if p is None else list(p) for p in scope.current]
        position = ctx.position
        requests: list[IntentRequest] = []
        for rule, fired in zip(body.exits, exits, strict=True):
            if fired and _applies(rule.applies_to, position):
                request = self._close(rule, position, scope)
                if request is not None:
                    requests.append(request)
                    position = ZERO
                    break
        for entry, fired in zip(body.entries, entries, strict=True):
            if not fired:
                continue
            request = self._enter(entry, position, scope)
            if request is not None:
                requests.append(request)
                signed = request.quantity if request.side == "BUY" else -request.quantity
                position += signed
        return requests

    @staticmethod
    def _fires(
        when: CompiledExpression, aliases: frozenset[str], scope: Scope, ctx: BarContext
    ) -> bool:
        result = when.evaluate(scope)
        return result is True and all(ctx.indicators[alias].ready for alias in aliases)

    def _features(self, ctx: BarContext, bar: Bar) -> dict[str, Value]:
        position = float(ctx.position)
        features: dict[str, Value] = {
            "open": float(bar.open),
            "high": float(bar.high),
            "low": float(bar.low),
            "close": float(bar.close),
            "volume": float(bar.volume),
            "position": position,
            "is_long": position > 0,
            "is_short": position < 0,
            "is_flat": position == 0,
        }
        for alias, outputs in self.body.outputs.items():
            reading = ctx.indicators[alias]
            for output in outputs:
                features[f"{alias}.{output}"] = reading.get(output)
        advice = ctx.advice
        if advice is not None:
            features["advice.score"] = advice.score
            features["advice.confidence"] = advice.confidence
            features["advice.direction"] = advice.direction_value
            for key, value in advice.features.items():
                features[f"advice.features.{key}"] = value
        return features

    def _close(self, rule: ExitRule, position: Decimal, scope: Scope) -> IntentRequest | None:
        limit = self._limit_price(rule.limit, scope)
        if rule.limit is not None and limit is None:
            return None
        return IntentRequest(
            side="SELL" if position > 0 else "BUY",
            quantity=abs(position),
            rule=rule.label,
            reason=f"{rule.label}: {rule.when.text}",
            order_type="MARKET" if limit is None else "LIMIT",
            limit_price=limit,
            time_in_force=rule.time_in_force,
        )

    def _enter(self, rule: EntryRule, position: Decimal, scope: Scope) -> IntentRequest | None:
        direction = 1 if rule.side == "BUY" else -1
        if position * direction < 0:
            return None
        quantity = self._size(rule.size, scope)
        if quantity is None:
            return None
        if rule.max_position is None:
            if position != ZERO:
                return None
        else:
            quantity = min(quantity, self._floor_lot(rule.max_position - abs(position)))
        if quantity <= ZERO:
            return None
        limit = self._limit_price(rule.limit, scope)
        if rule.limit is not None and limit is None:
            return None
        return IntentRequest(
            side=rule.side,
            quantity=quantity,
            rule=rule.label,
            reason=f"{rule.label}: {rule.when.text}",
            order_type="MARKET" if limit is None else "LIMIT",
            limit_price=limit,
            time_in_force=rule.time_in_force,
        )

    def _size(self, size: Decimal | RiskSize, scope: Scope) -> Decimal | None:
        if isinstance(size, Decimal):
            return size
        stop = size.stop_distance.evaluate(scope)
        capital = self.body.capital
        if not isinstance(stop, float) or stop <= 0 or capital is None:
            return None
        return self._floor_lot(capital * size.risk_fraction / Decimal(repr(stop)))

    def _floor_lot(self, value: Decimal) -> Decimal:
        lot = self.body.lot_size
        if value <= ZERO:
            return ZERO
        return q((value / lot).to_integral_value(rounding=ROUND_FLOOR) * lot)

    def _limit_price(self, limit: CompiledExpression | None, scope: Scope) -> Decimal | None:
        if limit is None:
            return None
        value = limit.evaluate(scope)
        if not isinstance(value, float) or value <= 0:
            return None
        price = Decimal(repr(value))
        tick = self.body.tick_size
        return round_to_increment(price, tick) if tick is not None else q(price)


def _applies(applies_to: AppliesTo, position: Decimal) -> bool:
    if applies_to == "long":
        return position > ZERO
    if applies_to == "short":
        return position < ZERO
    return position != ZERO


def _previous(memory: Mapping[str, Any], count: int) -> list[Pair | None]:
    """The crossover memory of the previous bar, or a fresh one when absent or stale."""
    stored = memory.get("crossovers")
    if not isinstance(stored, list) or len(stored) != count:
        return [None] * count
    previous: list[Pair | None] = []
    for item in stored:
        if isinstance(item, list | tuple) and len(item) == 2:
            previous.append((_optional_float(item[0]), _optional_float(item[1])))
        else:
            previous.append(None)
    return previous


def _optional_float(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
