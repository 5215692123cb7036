"""The risk gate: the only way from a strategy's intent to an order.

Per ``strategy.intent`` it emits one ``risk.decision``: APPROVED to ``risk.approved`` or
REJECTED (with a reason per failed check) to ``risk.rejected``. The decision id derives from
the intent, so a re-processed intent yields the same decision. Operator switches
(``system.control``), loss halts, positions and open orders (``order.event``), PnL
(``pnl.update``) and recent prices by event time (``md.tick``/``md.bar``) are read from
broadcast inputs; an intent is priced at the latest price stamped at or before its own event
time (:func:`streams.risk.checks.reference_price`), so decisions do not depend on how far the
gate has read market data when the intent arrives.
A loss or drawdown breach seen in ``pnl.update`` emits a ``risk.violation`` (HALT) and halts
the scope until an operator sends ``CLEAR_HALT``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Final

from streams.decimals import q
from streams.errors import ConfigError, ProcessingError
from streams.events import caused_by
from streams.exchange.market_data import MARKET_DATA_TOPICS, last_price
from streams.orders.lifecycle import client_order_id
from streams.risk.book import OpenOrder, RiskBook
from streams.risk.checks import (
    MAX_DAILY_LOSS,
    MAX_DRAWDOWN,
    IntentView,
    RateWindows,
    Reason,
    pre_trade_reasons,
    reference_price,
)
from streams.risk.config import EffectiveLimits, RiskConfig
from streams.risk.controls import TradingControls, scope_key
from streams.risk.prices import DEFAULT_CAPACITY
from streams.runtime.processor import Output, Processor, Record

INTENT_TOPIC: Final = "strategy.intent"
APPROVED_TOPIC: Final = "risk.approved"
REJECTED_TOPIC: Final = "risk.rejected"
VIOLATION_TOPIC: Final = "risk.violation"
ORDER_EVENT_TOPIC: Final = "order.event"
PNL_TOPIC: Final = "pnl.update"
CONTROL_TOPIC: Final = "system.control"

RISK_GATE_STATE_SCHEMA: Final[dict[str, Any]] = {
    "type": "record",
    "name": "RiskGateState",
    "namespace": "tapewire.risk.state",
    "fields": [
        {
            "name": "book",
            "type": "string",
            "doc": (
                "JSON: positions, open orders, closed orders, and 'prices': instrument -> "
                "[[event time (micros), price], ...], oldest first (recent prices by event "
                "time). Books written before 'prices' carry 'last_prices' (instrument -> "
                "price), restored stamped at the epoch."
            ),
        },
        {"name": "controls", "type": "string", "doc": "JSON: kills, disabled, halts"},
        {"name": "rates", "type": "string", "doc": "JSON: approval times per strategy"},
        {"name": "approved", "type": "long"},
        {"name": "rejected", "type": "long"},
        {"name": "violations", "type": "long"},
    ],
}


@dataclass(frozen=True, slots=True)
class RiskGateConfig:
    """Behaviour of the gate beyond the limits themselves."""

    pending_ttl_seconds: float = 300.0
    """An approval no venue event has confirmed within this much event time stops counting
    as an open order (the order manager refused it, e.g. a kill switch raced the approval)."""

    price_history: int = DEFAULT_CAPACITY
    """Prices kept per instrument by event time, to price an intent as of its own time when it
    carries no reference price, and other instruments' positions for gross exposure."""

    def __post_init__(self) -> None:
        if self.pending_ttl_seconds <= 0:
            raise ConfigError("risk.pending_ttl_seconds", "must be greater than 0")
        if self.price_history < 1:
            raise ConfigError("risk.price_history", "must be at least 1")


class RiskGate(Processor):
    """Pre-trade risk checks, kill switches and loss halts."""

    name: ClassVar[str] = "risk_gate"
    inputs: ClassVar[tuple[str, ...]] = (
        INTENT_TOPIC,
        ORDER_EVENT_TOPIC,
        PNL_TOPIC,
        *MARKET_DATA_TOPICS,
        CONTROL_TOPIC,
    )
    outputs: ClassVar[tuple[str, ...]] = (APPROVED_TOPIC, REJECTED_TOPIC, VIOLATION_TOPIC)
    broadcast: ClassVar[tuple[str, ...]] = (
        ORDER_EVENT_TOPIC,
        PNL_TOPIC,
        *MARKET_DATA_TOPICS,
        CONTROL_TOPIC,
    )
    state_schema: ClassVar[dict[str, Any] | None] = RISK_GATE_STATE_SCHEMA

    def __init__(self, limits: RiskConfig, config: RiskGateConfig | None = None) -> None:
        self.limits = limits
        self.config = config or RiskGateConfig()
        self.book = RiskBook(self.config.price_history)
        self.controls = TradingControls()
        self.rates = RateWindows()
        self.approved = 0
        self.rejected = 0
        self.violations = 0
        self._limits: dict[tuple[str, str, str], EffectiveLimits] = {}

    # -- dispatch ------------------------------------------------------------------------

    def process(self, record: Record) -> list[Output]:
        value = record.value
        if record.topic == INTENT_TOPIC:
            return [self._decide(value)]
        if record.topic == ORDER_EVENT_TOPIC:
            self.book.apply_order_event(value)
            return []
        if record.topic == PNL_TOPIC:
            return self._check_losses(value)
        if record.topic in MARKET_DATA_TOPICS:
            price = last_price(record.topic, value)
            if price is not None:
                self.book.record_price(price.instrument, price.time, price.price)
            return []
        if record.topic == CONTROL_TOPIC:
            self.controls.apply(value)
            return []
        raise ProcessingError(f"risk_gate does not consume topic {record.topic!r}")

    # -- intents ---------------------------------------------------------------------------

    def _decide(self, value: dict[str, Any]) -> Output:
        intent = IntentView.from_value(value)
        self.book.expire_pending(intent.time, self.config.pending_ttl_seconds)
        blocks = self.controls.blocks(intent.account, intent.strategy)
        last = reference_price(intent, self.book)
        reasons: list[Reason]
        if blocks:
            reasons = [Reason(b.code, b.message) for b in blocks]
        else:
            limits = self._limits_of(intent)
            reasons = pre_trade_reasons(intent, limits, self.book, self.rates, last)
        env = caused_by(value["envelope"], event_type="risk.decision", agent=self.name)
        decision = {
            "envelope": env,
            "intent_id": str(value["envelope"]["event_id"]),
            "outcome": "REJECTED" if reasons else "APPROVED",
            "strategy": intent.strategy,
            "strategy_version": int(value["strategy_version"]),
            "account": intent.account,
            "instrument": intent.instrument,
            "side": intent.side,
            "quantity": intent.quantity,
            "order_type": intent.order_type,
            "limit_price": intent.limit_price,
            "time_in_force": str(value["time_in_force"]),
            "reference_price": last,
            "reasons": [r.to_record() for r in reasons],
        }
        if reasons:
            self.rejected += 1
            return Output(REJECTED_TOPIC, intent.account, decision)
        self.approved += 1
        self._book_approval(intent, env["event_id"], last)
        return Output(APPROVED_TOPIC, intent.account, decision)

    def _limits_of(self, intent: IntentView) -> EffectiveLimits:
        """The resolved limits of an intent's account/strategy/instrument (cached: config is
        frozen)."""
        limits = self._limits.get(intent.key)
        if limits is None:
            limits = self.limits.effective(
                account=intent.account, strategy=intent.strategy, instrument=intent.instrument
            )
            self._limits[intent.key] = limits
        return limits

    def _book_approval(self, intent: IntentView, decision_id: str, last: Decimal | None) -> None:
        limits = self._limits_of(intent)
        keep = limits.order_rate.window_seconds if limits.order_rate is not None else 0.0
        self.rates.record((intent.account, intent.strategy), intent.time, keep)
        self.book.add_approval(
            client_order_id(decision_id),
            OpenOrder(
                account=intent.account,
                strategy=intent.strategy,
                instrument=intent.instrument,
                side=intent.side,
                quantity=intent.quantity,
                filled=q(0),
                price=intent.limit_price if intent.limit_price is not None else last,
                approved_at=intent.time,
            ),
        )

    # -- loss limits -----------------------------------------------------------------------

    def _check_losses(self, update: dict[str, Any]) -> list[Output]:
        scope = str(update["scope"])
        limits: EffectiveLimits
        if scope == "STRATEGY":
            limits = self.limits.strategy_loss_limits(str(update["strategy"]))
            key = scope_key(scope, update["strategy"])
        elif scope == "ACCOUNT":
            limits = self.limits.account_loss_limits(str(update["account"]))
            key = scope_key(scope, update["account"])
        elif scope == "GLOBAL":
            limits = self.limits.global_loss_limits()
            key = "GLOBAL"
        else:
            return []
        daily_loss = q(-update["daily_pnl"])
        drawdown = q(update["drawdown"])
        breaches: list[tuple[str, Decimal, Decimal]] = []
        if limits.max_daily_loss is not None and daily_loss > limits.max_daily_loss:
            breaches.append((MAX_DAILY_LOSS, limits.max_daily_loss, daily_loss))
        if limits.max_drawdown is not None and drawdown > limits.max_drawdown:
            breaches.append((MAX_DRAWDOWN, limits.max_drawdown, drawdown))
        if not breaches or not self.controls.halt(key, breaches[0][0]):
            return []  # within limits, or already halted (one violation per halt)
        self.violations += len(breaches)
        return [
            self._violation(
                update=update, scope=scope, code=code, limit=limit, actual=actual, key=key
            )
            for code, limit, actual in breaches
        ]

    def _violation(
        self,
        *,
        update: dict[str, Any],
        scope: str,
        code: str,
        limit: Decimal,
        actual: Decimal,
        key: str,
    ) -> Output:
        trading_day: date = update["trading_day"]
        value = {
            "envelope": caused_by(
                update["envelope"], event_type="risk.violation", agent=self.name, discriminator=code
            ),
            "scope": scope,
            "strategy": update.get("strategy") if scope == "STRATEGY" else None,
            "account": update.get("account") if scope == "ACCOUNT" else None,
            "limit": code,
            "limit_value": q(limit),
            "actual_value": q(actual),
            "action": "HALT",
            "message": (
                f"{key} breached {code} on {trading_day.isoformat()}: {actual} > {limit}; "
                f"trading halted until an operator sends CLEAR_HALT"
            ),
        }
        return Output(VIOLATION_TOPIC, key, value)

    # -- state -----------------------------------------------------------------------------

    def counters(self) -> dict[str, int]:
        """Totals and switch states the host exports as ``tapewire_processor_counter``."""
        return {
            "intents_approved": self.approved,
            "intents_rejected": self.rejected,
            "risk_violations": self.violations,
            "risk_halts_active": len(self.controls.halts),
            "kill_switches_active": len(self.controls.kills),
        }

    def snapshot(self) -> dict[str, Any]:
        return {
            "book": self.book.to_json(),
            "controls": self.controls.to_json(),
            "rates": self.rates.to_json(),
            "approved": self.approved,
            "rejected": self.rejected,
            "violations": self.violations,
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.book = RiskBook.from_json(state["book"], self.config.price_history)
        self.controls = TradingControls.from_json(state["controls"])
        self.rates = RateWindows.from_json(state["rates"])
        self.approved = int(state["approved"])
        self.rejected = int(state["rejected"])
        self.violations = int(state["violations"])
