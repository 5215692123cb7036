"""Pre-trade checks: one intent, the limits that apply to it, the book -> failed reasons.

Each failed check yields a :class:`Reason` (the ``Reason`` record of risk.decision): a
machine-readable code, a message, the limit and the actual value. What each check measures
is documented in docs/risk.md.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from streams.clock import from_micros, to_micros
from streams.decimals import ZERO, q
from streams.risk.book import PositionKey, RiskBook, side_sign
from streams.risk.config import EffectiveLimits

BPS: Final = Decimal(10_000)

MAX_POSITION: Final = "MAX_POSITION"
MAX_ORDER_QUANTITY: Final = "MAX_ORDER_QUANTITY"
MAX_ORDER_NOTIONAL: Final = "MAX_ORDER_NOTIONAL"
MAX_GROSS_EXPOSURE: Final = "MAX_GROSS_EXPOSURE"
MAX_OPEN_ORDERS: Final = "MAX_OPEN_ORDERS"
PRICE_BAND: Final = "PRICE_BAND"
ORDER_RATE: Final = "ORDER_RATE"
NO_REFERENCE_PRICE: Final = "NO_REFERENCE_PRICE"
INVALID_ORDER: Final = "INVALID_ORDER"
MAX_DAILY_LOSS: Final = "MAX_DAILY_LOSS"
MAX_DRAWDOWN: Final = "MAX_DRAWDOWN"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a check failed."""

    code: str
    message: str
    limit: Decimal | None = None
    actual: Decimal | None = None

    def to_record(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "limit": None if self.limit is None else q(self.limit),
            "actual": None if self.actual is None else q(self.actual),
        }


@dataclass(frozen=True, slots=True)
class IntentView:
    """The fields of a strategy.intent the checks read."""

    account: str
    strategy: str
    instrument: str
    side: str
    quantity: Decimal
    order_type: str
    limit_price: Decimal | None
    time: datetime
    reference_price: Decimal | None = None
    """The price the strategy decided on (its bar's close), stamped at the intent's time."""

    @property
    def key(self) -> PositionKey:
        return (self.account, self.strategy, self.instrument)

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> IntentView:
        limit = value.get("limit_price")
        reference = value.get("reference_price")
        return cls(
            account=str(value["account"]),
            strategy=str(value["strategy"]),
            instrument=str(value["instrument"]),
            side=str(value["side"]),
            quantity=q(value["quantity"]),
            order_type=str(value["order_type"]),
            limit_price=None if limit is None else q(limit),
            time=value["envelope"]["event_time"],
            reference_price=None if reference is None else q(reference),
        )


class RateWindows:
    """Approval times per (account, strategy), for the ORDER_RATE check (event time)."""

    def __init__(self) -> None:
        self.times: dict[tuple[str, str], deque[datetime]] = {}

    def count(self, key: tuple[str, str], now: datetime, window_seconds: float) -> int:
        times = self.times.get(key)
        if not times:
            return 0
        start = now - timedelta(seconds=window_seconds)
        while times and times[0] <= start:
            times.popleft()
        return len(times)

    def record(self, key: tuple[str, str], now: datetime, keep_seconds: float) -> None:
        times = self.times.setdefault(key, deque())
        times.append(now)
        start = now - timedelta(seconds=keep_seconds)
        while times and times[0] <= start:
            times.popleft()

    def to_json(self) -> str:
        return json.dumps(
            [[a, s, [to_micros(t) for t in times]] for (a, s), times in sorted(self.times.items())],
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> RateWindows:
        windows = cls()
        for account, strategy, times in json.loads(text):
            windows.times[(account, strategy)] = deque(from_micros(t) for t in times)
        return windows


def validate_shape(intent: IntentView) -> list[Reason]:
    """Orders the venue could never accept."""
    reasons: list[Reason] = []
    if intent.quantity <= ZERO:
        reasons.append(Reason(INVALID_ORDER, "quantity must be positive", None, intent.quantity))
    if intent.order_type == "LIMIT" and (intent.limit_price is None or intent.limit_price <= 0):
        reasons.append(Reason(INVALID_ORDER, "a LIMIT intent needs a positive limit_price"))
    if intent.order_type == "MARKET" and intent.limit_price is not None:
        reasons.append(Reason(INVALID_ORDER, "a MARKET intent must not carry a limit_price"))
    return reasons


def reference_price(intent: IntentView, book: RiskBook) -> Decimal | None:
    """The price an intent is checked against: the latest price of its instrument stamped at
    or before the intent's event time, counting the intent's own ``reference_price`` (stamped
    at the intent's time, so it wins over anything the book holds; a market price of the very
    same time is not preferred to it, whichever was read first). Never a price stamped after
    the intent, so the answer does not depend on how far the gate has read market data."""
    if intent.reference_price is not None:
        return intent.reference_price
    return book.price_at(intent.instrument, intent.time)


def pre_trade_reasons(
    intent: IntentView,
    limits: EffectiveLimits,
    book: RiskBook,
    rates: RateWindows,
    last: Decimal | None,
) -> list[Reason]:
    """Every failed pre-trade check for ``intent`` priced at ``last`` (its
    :func:`reference_price`); empty = approve."""
    reasons = validate_shape(intent)
    if reasons:
        return reasons
    price = intent.limit_price if intent.order_type == "LIMIT" else last

    if limits.max_order_quantity is not None and intent.quantity > limits.max_order_quantity:
        reasons.append(
            Reason(
                MAX_ORDER_QUANTITY,
                f"order quantity {intent.quantity} above {limits.max_order_quantity}",
                limits.max_order_quantity,
                intent.quantity,
            )
        )
    if limits.max_position is not None:
        projected = (
            book.position(intent.key)
            + book.open_same_side(intent.key, intent.side)
            + side_sign(intent.side) * intent.quantity
        )
        if abs(projected) > limits.max_position:
            reasons.append(
                Reason(
                    MAX_POSITION,
                    f"position would reach {projected} (open orders included), "
                    f"limit {limits.max_position}",
                    limits.max_position,
                    abs(projected),
                )
            )
    if limits.max_open_orders is not None:
        count = book.open_order_count(intent.account, intent.strategy) + 1
        if count > limits.max_open_orders:
            reasons.append(
                Reason(
                    MAX_OPEN_ORDERS,
                    f"{count} open orders with this one, limit {limits.max_open_orders}",
                    Decimal(limits.max_open_orders),
                    Decimal(count),
                )
            )
    if limits.order_rate is not None:
        rate = limits.order_rate
        count = rates.count((intent.account, intent.strategy), intent.time, rate.window_seconds)
        if count >= rate.max_orders:
            reasons.append(
                Reason(
                    ORDER_RATE,
                    f"{count} approvals in the last {rate.window_seconds}s, "
                    f"limit {rate.max_orders}",
                    Decimal(rate.max_orders),
                    Decimal(count + 1),
                )
            )
    if last is None or price is None:
        reasons.append(
            Reason(
                NO_REFERENCE_PRICE,
                f"no price for {intent.instrument} at or before {intent.time.isoformat()}",
            )
        )
        return reasons
    reasons.extend(_priced_reasons(intent, limits, book, price, last))
    return reasons


def _priced_reasons(
    intent: IntentView,
    limits: EffectiveLimits,
    book: RiskBook,
    price: Decimal,
    last: Decimal,
) -> list[Reason]:
    reasons: list[Reason] = []
    notional = q(intent.quantity * price)
    if limits.max_order_notional is not None and notional > limits.max_order_notional:
        reasons.append(
            Reason(
                MAX_ORDER_NOTIONAL,
                f"order notional {notional} above {limits.max_order_notional}",
                limits.max_order_notional,
                notional,
            )
        )
    if limits.max_gross_exposure is not None:
        exposure = q(
            book.gross_exposure(intent.account, intent.time, (intent.instrument, last)) + notional
        )
        if exposure > limits.max_gross_exposure:
            reasons.append(
                Reason(
                    MAX_GROSS_EXPOSURE,
                    f"account gross exposure would reach {exposure}, "
                    f"limit {limits.max_gross_exposure}",
                    limits.max_gross_exposure,
                    exposure,
                )
            )
    if limits.price_band_bps is not None and last > ZERO:
        deviation = q(abs(price - last) / last * BPS)
        if deviation > limits.price_band_bps:
            reasons.append(
                Reason(
                    PRICE_BAND,
                    f"price {price} is {deviation} bps from the last trade {last}, "
                    f"band {limits.price_band_bps} bps",
                    limits.price_band_bps,
                    deviation,
                )
            )
    return reasons
