"""Builders of synthetic trading events: market data, intents, controls, venue reports.

For simulations, benchmarks and tests of the trading chain: each builder returns a
:class:`~streams.runtime.processor.Record` whose value matches its Avro schema exactly, with a
deterministic event id derived from the arguments.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from streams.decimals import q
from streams.events import derive_event_id, envelope
from streams.orders.positions import position_report
from streams.runtime.processor import Record

Number = Decimal | int | str


def _env(event_type: str, at: datetime, *parts: object) -> dict[str, Any]:
    return envelope(
        event_type=event_type,
        event_id=derive_event_id(event_type, at.isoformat(), *parts),
        event_time=at,
        ingest_time=at,
        agent="scenario",
    )


def trade_tick(
    instrument: str, price: Number, size: Number, at: datetime, sequence: int = 0
) -> Record:
    """An md.tick TRADE print."""
    value = {
        "envelope": _env("md.tick", at, instrument, sequence, price, size),
        "instrument": instrument,
        "venue": "SIM",
        "feed": "scenario",
        "sequence": sequence,
        "kind": "TRADE",
        "price": q(price),
        "size": q(size),
        "aggressor": "UNKNOWN",
        "trade_id": f"md-{sequence}",
        "bid_price": None,
        "bid_size": None,
        "ask_price": None,
        "ask_size": None,
    }
    return Record(topic="md.tick", key=instrument, value=value)


def bar(
    instrument: str,
    start: datetime,
    *,
    open: Number,
    high: Number,
    low: Number,
    close: Number,
    volume: Number,
    interval_seconds: int = 60,
) -> Record:
    """An md.bar whose event time is its end."""
    end = start + timedelta(seconds=interval_seconds)
    value = {
        "envelope": _env("md.bar", end, instrument, interval_seconds),
        "instrument": instrument,
        "venue": "SIM",
        "interval_seconds": interval_seconds,
        "start": start,
        "end": end,
        "open": q(open),
        "high": q(high),
        "low": q(low),
        "close": q(close),
        "volume": q(volume),
        "vwap": None,
        "trade_count": 1,
        "revision": 0,
    }
    return Record(topic="md.bar", key=instrument, value=value)


def intent(
    *,
    account: str,
    strategy: str,
    instrument: str,
    side: str,
    quantity: Number,
    at: datetime,
    order_type: str = "MARKET",
    limit_price: Number | None = None,
    time_in_force: str = "GTC",
    number: int = 0,
) -> Record:
    """A strategy.intent; ``number`` tells apart intents of the same time."""
    value = {
        "envelope": _env("strategy.intent", at, account, strategy, instrument, number),
        "strategy": strategy,
        "strategy_version": 1,
        "account": account,
        "instrument": instrument,
        "side": side,
        "quantity": q(quantity),
        "order_type": order_type,
        "limit_price": None if limit_price is None else q(limit_price),
        "time_in_force": time_in_force,
        "reason": "scenario",
        "reference_price": None,
    }
    return Record(topic="strategy.intent", key=account, value=value)


def control(
    command: str, scope: str, at: datetime, target: str | None = None, number: int = 0
) -> Record:
    """A system.control record from an operator."""
    value = {
        "envelope": _env("system.control", at, command, scope, target, number),
        "command": command,
        "scope": scope,
        "target": target,
        "operator": "scenario",
        "reason": "scenario",
    }
    return Record(topic="system.control", key=f"{scope}:{target or ''}", value=value)


def venue_event(
    command: dict[str, Any],
    kind: str,
    at: datetime,
    *,
    cumulative: Number = 0,
    fill_quantity: Number | None = None,
    fill_price: Number | None = None,
    trade_id: str | None = None,
    fee: Number | None = None,
    order_status: str | None = None,
    number: int = 0,
) -> Record:
    """An order.event a venue would send about the order of an order.command value."""
    quantity = q(command["quantity"])
    cum = q(cumulative)
    terminal = kind in ("FILL", "CANCELED", "REJECTED", "EXPIRED")
    value = {
        "envelope": _env("order.event", at, command["client_order_id"], kind, number),
        "client_order_id": command["client_order_id"],
        "venue_order_id": f"V-{command['client_order_id']}",
        "account": command["account"],
        "strategy": command["strategy"],
        "instrument": command["instrument"],
        "venue": command["venue"],
        "kind": kind,
        "side": command["side"],
        "order_quantity": quantity,
        "fill_quantity": None if fill_quantity is None else q(fill_quantity),
        "fill_price": None if fill_price is None else q(fill_price),
        "trade_id": trade_id,
        "cumulative_quantity": cum,
        "leaves_quantity": q(0) if terminal else q(max(quantity - cum, q(0))),
        "fee": None if fee is None else q(fee),
        "fee_currency": None if fee is None else "USD",
        "liquidity": None if fill_quantity is None else "TAKER",
        "reason": None,
        "order_status": order_status,
        "average_price": None,
        "position_quantity": None,
    }
    return Record(topic="order.event", key=str(command["account"]), value=value)


def position_answer(
    command: dict[str, Any], positions: dict[str, Number], at: datetime | None = None
) -> list[Record]:
    """A venue's POSITION report (ending with the ``*`` marker) for an order.command POSITIONS."""
    held = {instrument: q(quantity) for instrument, quantity in positions.items()}
    values = position_report(command, held, agent="scenario", at=at)
    return [Record(topic="order.event", key=str(command["account"]), value=v) for v in values]


def pnl_update(
    scope: str,
    at: datetime,
    *,
    daily_pnl: Number,
    drawdown: Number = 0,
    strategy: str | None = None,
    account: str | None = None,
    number: int = 0,
) -> Record:
    """A pnl.update of a STRATEGY, ACCOUNT or GLOBAL scope with the figures risk reads."""
    net = q(daily_pnl)
    value = {
        "envelope": _env("pnl.update", at, scope, strategy, account, number),
        "scope": scope,
        "account": account,
        "strategy": strategy,
        "instrument": None,
        "quantity": None,
        "average_cost": None,
        "mark_price": None,
        "realized_pnl": net,
        "unrealized_pnl": q(0),
        "fees": q(0),
        "net_pnl": net,
        "gross_exposure": q(0),
        "net_exposure": q(0),
        "trading_day": at.date(),
        "daily_pnl": net,
        "high_water_mark": q(max(net + q(drawdown), q(0))),
        "drawdown": q(drawdown),
    }
    return Record(topic="pnl.update", key=scope, value=value)


def order_command(
    command: str,
    client_order_id: str,
    at: datetime,
    *,
    side: str = "BUY",
    quantity: Number = 10,
    order_type: str = "MARKET",
    limit_price: Number | None = None,
    time_in_force: str = "GTC",
    instrument: str = "BTC-USD",
    venue: str = "SIM",
    account: str = "acc",
    strategy: str = "momo",
) -> Record:
    """An order.command as the order manager would send it."""
    value = {
        "envelope": _env("order.command", at, command, client_order_id),
        "command": command,
        "client_order_id": client_order_id,
        "decision_id": None,
        "account": account,
        "strategy": strategy,
        "instrument": instrument,
        "venue": venue,
        "side": side,
        "quantity": q(quantity),
        "order_type": order_type,
        "limit_price": None if limit_price is None else q(limit_price),
        "time_in_force": time_in_force,
    }
    return Record(topic="order.command", key=account, value=value)


def decision(
    *,
    at: datetime,
    outcome: str = "APPROVED",
    account: str = "acc",
    strategy: str = "momo",
    instrument: str = "BTC-USD",
    side: str = "BUY",
    quantity: Number = 10,
    order_type: str = "MARKET",
    limit_price: Number | None = None,
    time_in_force: str = "GTC",
    number: int = 0,
) -> Record:
    """A risk.decision as the risk gate would publish it (to risk.approved when APPROVED)."""
    topic = "risk.approved" if outcome == "APPROVED" else "risk.rejected"
    value = {
        "envelope": _env("risk.decision", at, account, strategy, instrument, number),
        "intent_id": derive_event_id("intent", at.isoformat(), number),
        "outcome": outcome,
        "strategy": strategy,
        "strategy_version": 1,
        "account": account,
        "instrument": instrument,
        "side": side,
        "quantity": q(quantity),
        "order_type": order_type,
        "limit_price": None if limit_price is None else q(limit_price),
        "time_in_force": time_in_force,
        "reference_price": None,
        "reasons": [],
    }
    return Record(topic=topic, key=account, value=value)
