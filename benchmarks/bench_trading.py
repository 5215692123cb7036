"""Risk decisions and orders per second against bare-loop baselines (same run).

- ``risk gate decisions``: :class:`RiskGate` deciding intents (every pre-trade check against
  the book, Decimal arithmetic, decision events) with a trade tick before each intent. The
  baseline is a bare loop over pre-extracted Decimals doing the three order-local limit
  comparisons and building the decision dict with its derived envelope (UUIDv5 id): the
  irreducible work of a decision, without book state, controls or typed views.
- ``order manager orders``: :class:`OrderManager` turning approvals into NEW commands
  (lifecycle state, kill-switch and mode checks, command events). The baseline derives the
  client order id and builds the command dict with its envelope in a bare loop.

The ratio is subject / baseline throughput (higher is better); there is no budget for these
paths in the architecture, so the note only reports it. Nothing is asserted on time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from streams.decimals import q
from streams.events import caused_by
from streams.exchange.scenario import decision, intent, trade_tick
from streams.orders.lifecycle import client_order_id
from streams.orders.manager import OrderManager, OrderManagerConfig
from streams.risk.config import parse_risk_config
from streams.risk.gate import RiskGate, RiskGateConfig
from streams.runtime.processor import Record

from benchmarks.common import Result, paired_ops_per_second

INTENTS = 2_000
REPEATS = 5
START = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
LIMITS = parse_risk_config(
    {
        "defaults": {
            "max_position": "1000000",
            "max_order_quantity": "100",
            "max_order_notional": "100000",
            "max_gross_exposure": "100000000",
            "max_open_orders": 50,
            "price_band_bps": "500",
            "order_rate": {"max_orders": 100, "window_seconds": 1},
        }
    }
)


def _gate_records() -> list[Record]:
    records: list[Record] = []
    for n in range(INTENTS):
        at = START + timedelta(seconds=n)
        records.append(trade_tick("BTC-USD", 100 + n % 7, 5, at, sequence=n))
        records.append(
            intent(
                account="acc",
                strategy=f"s{n % 4}",
                instrument="BTC-USD",
                side="BUY" if n % 3 else "SELL",
                quantity=1 + n % 9,
                order_type="LIMIT",
                limit_price=100 + n % 5,
                at=at + timedelta(milliseconds=1),
                number=n,
            )
        )
    return records


def _run_gate(records: list[Record]) -> None:
    gate = RiskGate(LIMITS, RiskGateConfig(pending_ttl_seconds=5.0))
    for record in records:
        gate.process(record)


def _gate_baseline(rows: list[tuple[dict[str, Any], Decimal, Decimal, Decimal]]) -> None:
    limits = LIMITS.defaults
    max_quantity, max_notional = limits.max_order_quantity, limits.max_order_notional
    band = limits.price_band_bps
    assert max_quantity is not None
    assert max_notional is not None
    assert band is not None
    for cause, quantity, price, last in rows:
        failed = []
        if quantity > max_quantity:
            failed.append("MAX_ORDER_QUANTITY")
        if quantity * price > max_notional:
            failed.append("MAX_ORDER_NOTIONAL")
        if abs(price - last) / last * 10_000 > band:
            failed.append("PRICE_BAND")
        env = caused_by(cause, event_type="risk.decision", agent="baseline")
        _ = {"envelope": env, "outcome": "REJECTED" if failed else "APPROVED", "reasons": failed}


def _approvals() -> list[Record]:
    return [
        decision(at=START + timedelta(milliseconds=n), number=n, quantity=1 + n % 9)
        for n in range(INTENTS)
    ]


def _run_manager(records: list[Record]) -> None:
    manager = OrderManager(OrderManagerConfig())
    for record in records:
        manager.process(record)


def _manager_baseline(values: list[dict[str, Any]]) -> None:
    fields = ("account", "strategy", "instrument", "side", "quantity", "order_type")
    for value in values:
        coid = client_order_id(value["envelope"]["event_id"])
        env = caused_by(value["envelope"], event_type="order.command", agent="baseline")
        command = {name: value[name] for name in fields}
        command.update(envelope=env, command="NEW", client_order_id=coid)


def run() -> list[Result]:
    records = _gate_records()
    rows = [
        (r.value["envelope"], q(r.value["quantity"]), q(r.value["limit_price"]), q(100 + i % 7))
        for i, r in enumerate(records[1::2])
    ]
    gate_calls, gate_base_calls = paired_ops_per_second(
        lambda: _run_gate(records), lambda: _gate_baseline(rows), 1, repeats=REPEATS
    )
    approvals = _approvals()
    values = [r.value for r in approvals]
    manager_calls, manager_base_calls = paired_ops_per_second(
        lambda: _run_manager(approvals), lambda: _manager_baseline(values), 1, repeats=REPEATS
    )
    decisions, decisions_base = gate_calls * INTENTS, gate_base_calls * INTENTS
    orders, orders_base = manager_calls * INTENTS, manager_base_calls * INTENTS
    return [
        Result(
            "risk gate decisions",
            decisions,
            "decisions/s",
            decisions_base,
            decisions / decisions_base,
            "throughput vs a bare loop of limit checks + decision dicts; no budget",
        ),
        Result(
            "order manager orders",
            orders,
            "orders/s",
            orders_base,
            orders / orders_base,
            "throughput vs a bare loop building command dicts; no budget",
        ),
    ]
