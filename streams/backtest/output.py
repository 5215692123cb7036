"""The files a backtest writes into its output directory (byte-for-byte reproducible).

``trades.csv`` (one row per fill), ``orders.csv`` (one row per order with its final state),
``equity.csv`` (equity and drawdown at every bar end), ``summary.json`` (sorted keys, two-space
indent), ``equity.png`` and ``equity.html``. Times are ISO-8601 UTC, decimals are written as
their scale-9 text, ratios as JSON numbers rounded to 10 digits. Nothing written depends on
the wall clock, the machine or the output path.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from streams.backtest.plots import write_html, write_png
from streams.backtest.report import EquityPoint, OrderRow
from streams.errors import ConfigError

FILES: Final = (
    "trades.csv",
    "orders.csv",
    "equity.csv",
    "summary.json",
    "equity.png",
    "equity.html",
)
TRADE_COLUMNS: Final = (
    "time",
    "client_order_id",
    "trade_id",
    "account",
    "strategy",
    "instrument",
    "side",
    "quantity",
    "price",
    "fee",
    "liquidity",
    "kind",
)
ORDER_COLUMNS: Final = (
    "time",
    "client_order_id",
    "account",
    "strategy",
    "instrument",
    "side",
    "order_type",
    "quantity",
    "limit_price",
    "time_in_force",
    "status",
    "filled",
    "average_price",
)
EQUITY_COLUMNS: Final = ("time", "equity", "net_pnl", "drawdown")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _write_csv(path: Path, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_text(v) for v in row])


def trade_rows(fills: Sequence[dict[str, Any]]) -> list[list[object]]:
    return [
        [
            f["envelope"]["event_time"],
            f["client_order_id"],
            f.get("trade_id"),
            f["account"],
            f["strategy"],
            f["instrument"],
            f["side"],
            f["fill_quantity"],
            f["fill_price"],
            f.get("fee"),
            f.get("liquidity"),
            f["kind"],
        ]
        for f in fills
    ]


def order_rows(orders: Sequence[OrderRow]) -> list[list[object]]:
    return [
        [
            o.time,
            o.command["client_order_id"],
            o.command["account"],
            o.command["strategy"],
            o.command["instrument"],
            o.command["side"],
            o.command["order_type"],
            o.command["quantity"],
            o.command.get("limit_price"),
            o.command["time_in_force"],
            o.status,
            o.filled,
            o.average_price,
        ]
        for o in orders
    ]


def write_outputs(
    directory: Path,
    *,
    fills: Sequence[dict[str, Any]],
    orders: Sequence[OrderRow],
    equity: Sequence[EquityPoint],
    summary: dict[str, Any],
    title: str,
) -> list[Path]:
    """Write the six files into ``directory`` (created if needed); their paths."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError("--output", f"cannot create {directory}: {exc}") from exc
    paths = [directory / name for name in FILES]
    trades, orders_csv, equity_csv, summary_json, png, page = paths
    _write_csv(trades, TRADE_COLUMNS, trade_rows(fills))
    _write_csv(orders_csv, ORDER_COLUMNS, order_rows(orders))
    _write_csv(
        equity_csv,
        EQUITY_COLUMNS,
        [[p.time, p.equity, p.net_pnl, p.drawdown] for p in equity],
    )
    summary_json.write_text(
        json.dumps(summary, indent=2, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8"
    )
    write_png(equity, title, png)
    write_html(equity, summary, title, page)
    return paths
