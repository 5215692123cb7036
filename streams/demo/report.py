"""What the demo did, read back from the database the sink wrote (analyst's view)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import psycopg

TABLES: Final = (
    "ticks",
    "bars",
    "indicator_values",
    "intents",
    "risk_decisions",
    "orders",
    "order_events",
    "fills",
    "pnl",
    "dead_letters",
)


@dataclass(frozen=True, slots=True)
class StrategyPnl:
    strategy: str
    realized: Decimal
    unrealized: Decimal
    fees: Decimal
    net: Decimal


def table_counts(database_url: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    with psycopg.connect(database_url) as conn:
        for table in TABLES:
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 - constant names
            counts[table] = int(row[0]) if row else 0
    return counts


def strategy_pnl(database_url: str) -> list[StrategyPnl]:
    query = """
        SELECT DISTINCT ON (strategy) strategy, realized_pnl, unrealized_pnl, fees, net_pnl
        FROM pnl WHERE scope = 'STRATEGY'
        ORDER BY strategy, time DESC, ingest_time DESC
    """
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(query).fetchall()
    return [
        StrategyPnl(strategy=r[0], realized=r[1], unrealized=r[2], fees=r[3], net=r[4])
        for r in rows
    ]


def format_counts(counts: dict[str, int]) -> str:
    return "  ".join(f"{name}={count}" for name, count in counts.items())
