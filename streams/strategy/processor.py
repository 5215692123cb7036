"""The strategy processor: bars + indicator values (+ advice, control) -> ``strategy.intent``.

For each (instrument, interval, bar end) it waits until the bar and every indicator value a
strategy declares have arrived (any order, see :mod:`streams.strategy.join`), then calls the
strategy with only data whose event time is at or before the bar end (lookahead guard):
indicator values are matched on their exact ``bar_end`` and refused when their event time is
later; advice is the latest with event time <= bar end.

Expected position: each strategy's position is the sum of the intents it emitted, not fills
reported by the venue. Decisions thus depend only on this processor's inputs, so a replay or
a backtest of the same log gives the same intents as live trading did (fills would make the
decision depend on venue timing). Reconciling intents with fills is the risk gate's job.

Intents: event id derived from the bar's envelope with discriminator
``"{strategy}:{version}:{rule}"``; event time = bar end; key = the strategy's account (risk
state is per account); ``time_in_force`` defaults to IOC for MARKET and GTC for LIMIT.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from streams.decimals import ZERO, q
from streams.errors import ProcessingError
from streams.events import caused_by
from streams.runtime.processor import Output, Processor, Record
from streams.strategy.base import Advice, Bar, BarContext, IndicatorReading, IntentRequest, Strategy
from streams.strategy.controls import RateLimiter, Switches
from streams.strategy.errors import StrategyConfigError
from streams.strategy.join import AdviceBook, JoinBuffer, LaneKey, Slot
from streams.strategy.prepared import PreparedStrategy, prepare
from streams.strategy.state import STATE_SCHEMA

INTENT_TOPIC = "strategy.intent"
_STRATEGY_ERRORS = (ArithmeticError, AttributeError, LookupError, TypeError, ValueError)


class StrategyProcessor(Processor):
    """Runs YAML and Python strategies over joined bars; see the module docstring."""

    name: ClassVar[str] = "strategy"
    inputs: ClassVar[tuple[str, ...]] = ("md.bar", "indicator.value", "ml.advice", "system.control")
    broadcast: ClassVar[tuple[str, ...]] = ("system.control",)
    outputs: ClassVar[tuple[str, ...]] = (INTENT_TOPIC,)
    state_schema: ClassVar[dict[str, Any] | None] = STATE_SCHEMA

    def __init__(
        self,
        strategies: Sequence[Strategy],
        *,
        max_pending_bars: int = 64,
        advice_capacity: int = 32,
    ) -> None:
        self._strategies: dict[str, PreparedStrategy] = {}
        for strategy in strategies:
            prepared = prepare(strategy)
            if prepared.name in self._strategies:
                raise StrategyConfigError(
                    "name", f"two strategies are named {prepared.name!r}", name=prepared.name
                )
            self._strategies[prepared.name] = prepared
        self._join = JoinBuffer(max_pending_bars)
        self._advice = AdviceBook(advice_capacity)
        self._switches = Switches()
        self._limiter = RateLimiter()
        self._positions: dict[tuple[str, str], Decimal] = {}
        self._memory: dict[tuple[str, str], dict[str, Any]] = {}
        self._counters: Counter[str] = Counter()
        self._lanes: dict[LaneKey, list[PreparedStrategy]] = {}  # strategies per lane (cache)
        self.last_error: str | None = None

    @property
    def strategies(self) -> Mapping[str, PreparedStrategy]:
        return self._strategies

    @property
    def counters(self) -> Mapping[str, int]:
        return self._counters

    def position(self, strategy: str, instrument: str) -> Decimal:
        """The strategy's expected position in ``instrument``."""
        return self._positions.get((strategy, instrument), ZERO)

    def process(self, record: Record) -> list[Output]:
        try:
            if record.topic == "md.bar":
                return self._on_bar(record.value)
            if record.topic == "indicator.value":
                return self._on_indicator(record.value)
            if record.topic == "ml.advice":
                self._on_advice(record.value)
                return []
            if record.topic == "system.control":
                self._on_control(record.value)
                return []
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise ProcessingError(f"malformed {record.topic} event: {exc!r}") from exc
        raise ProcessingError(f"{self.name} does not consume topic {record.topic!r}")

    def reload(self, strategy: Strategy) -> bool:
        """Install a new version of a strategy (or a new strategy); see docs/strategies.md.

        Accepted when the name is new or the version is higher: the expected positions,
        rate-limit window and switches of that name are kept (they describe intents already
        emitted and operator decisions), its rule memory is reset (the new rules may differ),
        so a crossover needs one bar after a reload to re-arm. Returns ``False`` when the
        same version with the same content is already running. Raises StrategyConfigError
        (and counts ``reload_refused``) for a same or lower version with different content.
        """
        prepared = prepare(strategy)
        current = self._strategies.get(prepared.name)
        if current is not None and prepared.version <= current.version:
            if prepared.version == current.version and prepared.fingerprint == current.fingerprint:
                return False
            self._counters["reload_refused"] += 1
            raise StrategyConfigError(
                "version",
                f"{prepared.name} version {prepared.version} differs from the running version "
                f"{current.version} but is not higher; bump 'version' to change a strategy",
                name=prepared.name,
            )
        self._strategies[prepared.name] = prepared
        self._lanes.clear()
        for key in [key for key in self._memory if key[0] == prepared.name]:
            del self._memory[key]
        self._counters["reload_accepted"] += 1
        return True

    def _interested(self, lane: LaneKey) -> list[PreparedStrategy]:
        interested = self._lanes.get(lane)
        if interested is None:
            interested = [p for p in self._strategies.values() if p.strategy.trades(*lane)]
            self._lanes[lane] = interested
        return interested

    def _on_bar(self, value: Mapping[str, Any]) -> list[Output]:
        bar = Bar.from_event(value)
        if int(value.get("revision", 0)) > 0:
            self._counters["bar_revisions_ignored"] += 1
            return []
        lane = (bar.instrument, bar.interval_seconds)
        if not self._interested(lane):
            return []
        slot, evicted = self._join.slot(lane, bar.end)
        outputs = self._evicted(lane, evicted)
        if slot is None:
            self._counters["late_inputs"] += 1
            return outputs
        if slot.bar is not None:
            self._counters["duplicate_inputs"] += 1
            return outputs
        envelope = value["envelope"]
        slot.bar = bar
        slot.cause = {
            "event_id": str(envelope["event_id"]),
            "event_time": envelope["event_time"],
            "ingest_time": envelope["ingest_time"],
            "correlation_id": envelope.get("correlation_id"),
        }
        return outputs + self._drain(lane)

    def _on_indicator(self, value: Mapping[str, Any]) -> list[Output]:
        lane = (str(value["instrument"]), int(value["interval_seconds"]))
        key = (str(value["indicator"]), str(value["parameters"]))
        if not any(key in p.required for p in self._interested(lane)):
            return []
        bar_end: datetime = value["bar_end"]
        if value["envelope"]["event_time"] > bar_end:
            self._counters["lookahead_rejected"] += 1
            return []
        slot, evicted = self._join.slot(lane, bar_end)
        outputs = self._evicted(lane, evicted)
        if slot is None:
            self._counters["late_inputs"] += 1
            return outputs
        if key in slot.readings:
            self._counters["duplicate_inputs"] += 1
            return outputs
        values = {str(k): _finite(v) for k, v in value["values"].items()}
        slot.readings[key] = IndicatorReading(ready=bool(value["ready"]), values=values)
        return outputs + self._drain(lane)

    def _on_advice(self, value: Mapping[str, Any]) -> None:
        advice = Advice(
            model=str(value["model"]),
            model_version=str(value["model_version"]),
            direction=value["direction"],
            score=float(value["score"]),
            confidence=float(value["confidence"]),
            features={str(k): float(v) for k, v in value.get("features", {}).items()},
            event_time=value["envelope"]["event_time"],
        )
        self._advice.add(str(value["instrument"]), advice)

    def _on_control(self, value: Mapping[str, Any]) -> None:
        target = value.get("target")
        if self._switches.apply(str(value["command"]), str(value["scope"]), target):
            self._counters["control_applied"] += 1
        else:
            self._counters["control_ignored"] += 1

    def _evicted(self, lane: LaneKey, evicted: Slot | None) -> list[Output]:
        if evicted is None:
            return []
        waiting = [p for p in self._interested(lane) if p.name not in evicted.done]
        self._counters["join_evicted"] += len(waiting)
        return self._drain(lane)

    def _drain(self, lane: LaneKey) -> list[Output]:
        """Evaluate every slot each strategy can take, in bar-end order; drop finished slots."""
        strategies = self._interested(lane)
        outputs: list[Output] = []
        blocked: set[str] = set()
        for slot in self._join.ordered(lane):
            for prepared in strategies:
                if prepared.name in slot.done or prepared.name in blocked:
                    continue
                if slot.complete_for(prepared.required):
                    outputs.extend(self._evaluate(prepared, slot))
                    slot.done.add(prepared.name)
                else:
                    blocked.add(prepared.name)
        for slot in self._join.ordered(lane):
            if any(p.name not in slot.done for p in strategies):
                break
            self._join.pop_head(lane)
        return outputs

    def _evaluate(self, prepared: PreparedStrategy, slot: Slot) -> list[Output]:
        bar, cause = slot.bar, slot.cause
        if bar is None or cause is None:
            raise ProcessingError("internal: evaluating a slot without its bar")
        strategy = prepared.strategy
        key = (prepared.name, bar.instrument)
        ctx = BarContext(
            strategy=prepared.name,
            instrument=bar.instrument,
            position=self._positions.get(key, ZERO),
            indicators={alias: slot.readings[k] for alias, k in prepared.keys.items()},
            advice=self._advice.as_of(bar.instrument, bar.end),
            memory=self._memory.setdefault(key, {}),
        )
        self._counters["evaluations"] += 1
        try:
            requests = strategy.on_bar(ctx, bar)
        except _STRATEGY_ERRORS as exc:
            # A faulty strategy must not stall the join for the others: the bar counts as
            # evaluated for it, the error is counted and kept in ``last_error`` for the host.
            self._counters["strategy_errors"] += 1
            self.last_error = f"{prepared.name} on {bar.instrument} at {bar.end}: {exc!r}"
            return []
        outputs: list[Output] = []
        seen: Counter[str] = Counter()
        for request in requests:
            problem = _problem(request)
            if problem is not None:
                self._counters["strategy_errors"] += 1
                self.last_error = f"{prepared.name} on {bar.instrument} at {bar.end}: {problem}"
                continue
            blocked = self._switches.blocked(prepared.name, strategy.account)
            if blocked is not None:
                self._counters[f"intents_suppressed_{blocked}"] += 1
                continue
            if not self._limiter.allow(prepared.name, strategy.rate_limit, bar.end):
                self._counters["intents_rate_limited"] += 1
                continue
            repeat = seen[request.rule]
            seen[request.rule] += 1
            rule = request.rule if repeat == 0 else f"{request.rule}#{repeat}"
            outputs.append(self._intent(prepared, bar, cause, request, rule))
            signed = request.quantity if request.side == "BUY" else -request.quantity
            self._positions[key] = self._positions.get(key, ZERO) + signed
            self._counters["intents"] += 1
        return outputs

    @staticmethod
    def _intent(
        prepared: PreparedStrategy,
        bar: Bar,
        cause: dict[str, Any],
        request: IntentRequest,
        rule: str,
    ) -> Output:
        strategy = prepared.strategy
        envelope = caused_by(
            cause,
            event_type=INTENT_TOPIC,
            agent="strategy",
            discriminator=f"{prepared.name}:{prepared.version}:{rule}",
            event_time=bar.end,
        )
        default_tif = "GTC" if request.order_type == "LIMIT" else "IOC"
        value = {
            "envelope": envelope,
            "strategy": prepared.name,
            "strategy_version": prepared.version,
            "account": strategy.account,
            "instrument": bar.instrument,
            "side": request.side,
            "quantity": q(request.quantity),
            "order_type": request.order_type,
            "limit_price": None if request.limit_price is None else q(request.limit_price),
            "time_in_force": request.time_in_force or default_tif,
            "reason": request.reason,
            "reference_price": q(bar.close),
        }
        return Output(topic=INTENT_TOPIC, key=strategy.account, value=value)

    def snapshot(self) -> dict[str, Any]:
        memory: dict[str, dict[str, Any]] = {}
        for (strategy, instrument), values in sorted(self._memory.items()):
            memory.setdefault(strategy, {})[instrument] = values
        try:
            memory_json = json.dumps(memory, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ProcessingError(f"strategy memory is not JSON-serialisable: {exc}") from exc
        return {
            "strategies": [
                {"name": p.name, "version": p.version} for p in self._strategies.values()
            ],
            "positions": [
                {"strategy": s, "instrument": i, "quantity": q(quantity)}
                for (s, i), quantity in sorted(self._positions.items())
            ],
            "memory_json": memory_json,
            "rate_windows": self._limiter.to_record(),
            "switches": self._switches.to_record(),
            "pending_json": json.dumps(self._join.to_json(), sort_keys=True),
            "advice_json": json.dumps(self._advice.to_json(), sort_keys=True),
            "counters": dict(sorted(self._counters.items())),
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Rebuild from :meth:`snapshot`; memory of a strategy whose version changed is reset."""
        try:
            versions = {str(s["name"]): int(s["version"]) for s in state["strategies"]}
            current = {name: p.version for name, p in self._strategies.items()}
            self._positions = {
                (str(p["strategy"]), str(p["instrument"])): q(p["quantity"])
                for p in state["positions"]
            }
            self._memory = {
                (strategy, instrument): dict(values)
                for strategy, by_instrument in json.loads(state["memory_json"]).items()
                if versions.get(strategy) == current.get(strategy)
                for instrument, values in by_instrument.items()
            }
            self._limiter.load_record(state["rate_windows"])
            self._switches = Switches.from_record(state["switches"])
            self._join.load_json(json.loads(state["pending_json"]))
            self._advice.load_json(json.loads(state["advice_json"]))
            self._counters = Counter({str(k): int(v) for k, v in state["counters"].items()})
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise ProcessingError(f"malformed strategy snapshot: {exc!r}") from exc


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _problem(request: IntentRequest) -> str | None:
    """Why a request cannot become a valid intent (a strategy bug), or None."""
    if request.side not in ("BUY", "SELL") or request.order_type not in ("MARKET", "LIMIT"):
        return f"invalid side or order type in {request}"
    if not request.quantity.is_finite() or request.quantity <= ZERO:
        return f"intent quantity must be > 0, got {request.quantity}"
    if (request.order_type == "LIMIT") != (request.limit_price is not None):
        return "a LIMIT intent needs a limit price, a MARKET intent must not have one"
    return None
