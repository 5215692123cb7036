"""What a backtest produced, as tables and a summary: pure functions over the loop's events.

- trades: every fill (``order.event`` PARTIAL_FILL/FILL), in the order the venue reported them;
- orders: every ``order.command`` NEW with its final state from the venue's events;
- equity: capital + the global net PnL, sampled at every bar end (the last ``pnl.update`` of
  scope GLOBAL delivered at or before that time);
- summary: total return, annualised volatility and Sharpe (risk-free rate 0) of the per-bar
  equity returns, max drawdown, round-trip trade count and win rate, fees.

Annualisation uses the bar spacing: 252 periods a year for daily (or longer) bars, otherwise
``365.25 days / spacing`` (markets that trade around the clock). A round trip starts when a
position leaves zero and ends when it returns to zero or flips; it wins when its realized PnL
net of its fees is positive.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from streams.decimals import ZERO, q

FILL_KINDS = frozenset({"PARTIAL_FILL", "FILL"})
TRADING_DAYS = 252


@dataclass(frozen=True, slots=True)
class EquityPoint:
    time: datetime
    equity: Decimal
    net_pnl: Decimal
    drawdown: Decimal
    """Fraction below the running peak, 0 at a new high."""


@dataclass(frozen=True, slots=True)
class OrderRow:
    time: datetime
    command: dict[str, Any]
    status: str
    filled: Decimal
    average_price: Decimal | None


@dataclass
class Summary:
    start: datetime | None
    end: datetime | None
    bars: int
    initial_capital: Decimal
    final_equity: Decimal
    total_return: float
    annualised_volatility: float
    sharpe: float
    max_drawdown: float
    periods_per_year: float
    trade_count: int
    fills: int
    win_rate: float | None
    fees: Decimal
    intents: int
    approved: int
    rejected: int
    orders: int
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        def ratio(value: float | None) -> float | None:
            return None if value is None or math.isnan(value) else round(value, 10)

        return {
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "bars": self.bars,
            "initial_capital": format(self.initial_capital, "f"),
            "final_equity": format(self.final_equity, "f"),
            "total_return": ratio(self.total_return),
            "annualised_volatility": ratio(self.annualised_volatility),
            "sharpe": ratio(self.sharpe),
            "max_drawdown": ratio(self.max_drawdown),
            "periods_per_year": ratio(self.periods_per_year),
            "trade_count": self.trade_count,
            "fills": self.fills,
            "win_rate": ratio(self.win_rate),
            "fees": format(self.fees, "f"),
            "intents": self.intents,
            "approved": self.approved,
            "rejected": self.rejected,
            "orders": self.orders,
            **self.extra,
        }


def fills(order_events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in order_events if e["kind"] in FILL_KINDS]


def order_rows(
    commands: Iterable[dict[str, Any]], order_events: Iterable[dict[str, Any]]
) -> list[OrderRow]:
    """Every NEW command with the last state the venue reported for it."""
    last: dict[str, dict[str, Any]] = {}
    notional: dict[str, Decimal] = {}
    for event in order_events:
        last[event["client_order_id"]] = event
        if event["kind"] in FILL_KINDS:
            cid = event["client_order_id"]
            notional[cid] = notional.get(cid, ZERO) + event["fill_quantity"] * event["fill_price"]
    rows: list[OrderRow] = []
    for command in commands:
        if command["command"] != "NEW":
            continue
        cid = command["client_order_id"]
        final = last.get(cid)
        filled = final["cumulative_quantity"] if final is not None else ZERO
        average = q(notional[cid] / filled) if filled and cid in notional else None
        rows.append(
            OrderRow(
                time=command["envelope"]["event_time"],
                command=command,
                status=_final_status(final),
                filled=filled,
                average_price=average,
            )
        )
    return rows


def _final_status(event: dict[str, Any] | None) -> str:
    """The order's status after the venue's last event (``SENT`` when it never answered)."""
    if event is None:
        return "SENT"
    return str(event.get("order_status") or event["kind"])


def equity_curve(
    bar_ends: Sequence[datetime],
    global_pnl: Sequence[tuple[datetime, Decimal]],
    capital: Decimal,
) -> list[EquityPoint]:
    """Equity at each distinct bar end from the global net PnL updates (in delivery order)."""
    points: list[EquityPoint] = []
    updates = sorted(enumerate(global_pnl), key=lambda item: (item[1][0], item[0]))
    index, net, peak = 0, ZERO, capital
    for end in sorted(set(bar_ends)):
        while index < len(updates) and updates[index][1][0] <= end:
            net = updates[index][1][1]
            index += 1
        equity = q(capital + net)
        peak = max(peak, equity)
        drawdown = q((peak - equity) / peak) if peak > 0 else q(ZERO)
        points.append(EquityPoint(time=end, equity=equity, net_pnl=q(net), drawdown=drawdown))
    return points


def periods_per_year(times: Sequence[datetime]) -> float:
    if len(times) < 2:
        return float(TRADING_DAYS)
    spacing = statistics.median((b - a).total_seconds() for a, b in itertools.pairwise(times))
    if spacing >= timedelta(hours=20).total_seconds():
        return float(TRADING_DAYS)
    return timedelta(days=365.25).total_seconds() / spacing


def round_trips(fill_events: Iterable[dict[str, Any]]) -> list[Decimal]:
    """Net result (realized PnL minus fees) of each closed round trip, in closing order."""
    results: list[Decimal] = []
    books: dict[tuple[str, str, str], tuple[Decimal, Decimal, Decimal, Decimal]] = {}
    for fill in fill_events:
        key = (fill["account"], fill["strategy"], fill["instrument"])
        position, cost, realized, fees = books.get(key, (ZERO, ZERO, ZERO, ZERO))
        signed = fill["fill_quantity"] if fill["side"] == "BUY" else -fill["fill_quantity"]
        price, fee = fill["fill_price"], fill["fee"] or ZERO
        fees += fee
        if position == 0 or (position > 0) == (signed > 0):
            cost = (cost * abs(position) + price * abs(signed)) / (abs(position) + abs(signed))
            position += signed
        else:
            closing = min(abs(signed), abs(position))
            direction = Decimal(1) if position > 0 else Decimal(-1)
            realized += (price - cost) * closing * direction
            remainder = abs(signed) - closing
            position += signed
            if position == 0 or remainder > 0:
                results.append(q(realized - fees))
                realized, fees = ZERO, ZERO
                cost = price if remainder > 0 else ZERO
        books[key] = (position, cost, realized, fees)
    return results


def summarise(
    equity: Sequence[EquityPoint],
    fill_events: Sequence[dict[str, Any]],
    *,
    capital: Decimal,
    counts: dict[str, int],
) -> Summary:
    times = [p.time for p in equity]
    values = [float(p.equity) for p in equity]
    returns = [b / a - 1.0 for a, b in itertools.pairwise(values) if a != 0]
    ppy = periods_per_year(times)
    if len(returns) >= 2 and statistics.stdev(returns) > 0:
        stdev = statistics.stdev(returns)
        volatility = stdev * math.sqrt(ppy)
        sharpe = statistics.fmean(returns) / stdev * math.sqrt(ppy)
    else:
        volatility, sharpe = 0.0, 0.0
    trips = round_trips(fill_events)
    final = equity[-1].equity if equity else capital
    return Summary(
        start=times[0] if times else None,
        end=times[-1] if times else None,
        bars=len(times),
        initial_capital=capital,
        final_equity=final,
        total_return=float(final / capital - 1) if capital else 0.0,
        annualised_volatility=volatility,
        sharpe=sharpe,
        max_drawdown=max((float(p.drawdown) for p in equity), default=0.0),
        periods_per_year=ppy,
        trade_count=len(trips),
        fills=len(fill_events),
        win_rate=(sum(1 for t in trips if t > 0) / len(trips)) if trips else None,
        fees=q(sum((f["fee"] or ZERO for f in fill_events), ZERO)),
        intents=counts.get("intents", 0),
        approved=counts.get("approved", 0),
        rejected=counts.get("rejected", 0),
        orders=counts.get("orders", 0),
    )
