"""Report arithmetic: round trips, equity sampling, annualisation and the summary."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from streams.backtest.report import (
    equity_curve,
    order_rows,
    periods_per_year,
    round_trips,
    summarise,
)
from streams.decimals import q

T0 = datetime(2024, 1, 2, tzinfo=UTC)
DAY = timedelta(days=1)


def _fill(side: str, quantity: int, price: str, fee: str = "0", coid: str = "c") -> dict[str, Any]:
    return {
        "envelope": {"event_time": T0},
        "account": "acc",
        "strategy": "s",
        "instrument": "SPX",
        "client_order_id": coid,
        "kind": "FILL",
        "side": side,
        "fill_quantity": q(quantity),
        "fill_price": q(price),
        "fee": q(fee),
        "cumulative_quantity": q(quantity),
        "order_status": "FILLED",
    }


def test_round_trips_close_at_flat_and_at_a_flip_net_of_every_fee() -> None:
    fills = [
        _fill("BUY", 10, "100", "1"),
        _fill("BUY", 10, "110", "1"),  # average 105
        _fill("SELL", 20, "104", "1"),  # flat: (104 - 105) x 20 - 3 = -23
        _fill("SELL", 5, "100", "1"),  # short 5 at 100
        _fill("BUY", 8, "90", "1"),  # flip: +50 - 2 = 48; long 3 at 90 opens the next
        _fill("SELL", 3, "91", "0.5"),  # +3 - 1.5 (flip's fee counted in the first) = 2.5
    ]
    assert round_trips(fills) == [q(-23), q(48), q("3") - q("0.5")]


def test_equity_is_sampled_at_each_bar_end_from_the_last_global_update() -> None:
    ends = [T0, T0 + DAY, T0 + 2 * DAY, T0 + 2 * DAY]
    updates = [(T0 + DAY, q(50)), (T0 + DAY, q(-100)), (T0 + 3 * DAY, q(7))]
    points = equity_curve(ends, updates, q(1000))
    assert [p.equity for p in points] == [q(1000), q(900), q(900)]
    assert [p.drawdown for p in points] == [q(0), q("0.1"), q("0.1")]


def test_annualisation_follows_the_bar_spacing() -> None:
    assert periods_per_year([T0, T0 + DAY, T0 + 4 * DAY]) == 252.0
    minutes = [T0 + timedelta(minutes=n) for n in range(5)]
    assert periods_per_year(minutes) == pytest.approx(365.25 * 24 * 60)


def test_the_summary_of_a_run_without_trades() -> None:
    points = equity_curve([T0, T0 + DAY, T0 + 2 * DAY], [], q(500))
    summary = summarise(points, [], capital=q(500), counts={}).to_json()
    assert (summary["total_return"], summary["sharpe"], summary["max_drawdown"]) == (0, 0, 0)
    assert (summary["trade_count"], summary["win_rate"], summary["fees"]) == (
        0,
        None,
        "0.000000000",
    )


def test_the_summary_ratios() -> None:
    updates = [(T0 + DAY, q(100)), (T0 + 2 * DAY, q(-50)), (T0 + 3 * DAY, q(25))]
    points = equity_curve([T0 + n * DAY for n in range(4)], updates, q(1000))
    fills = [_fill("BUY", 1, "10", "2"), _fill("SELL", 1, "20", "2")]
    summary = summarise(points, fills, capital=q(1000), counts={"intents": 2})
    returns = [1100 / 1000 - 1, 950 / 1100 - 1, 1025 / 950 - 1]
    mean = sum(returns) / 3
    stdev = math.sqrt(sum((r - mean) ** 2 for r in returns) / 2)
    assert summary.total_return == pytest.approx(0.025)
    assert summary.max_drawdown == pytest.approx(150 / 1100, abs=1e-9)
    assert summary.annualised_volatility == pytest.approx(stdev * math.sqrt(252))
    assert summary.sharpe == pytest.approx(mean / stdev * math.sqrt(252))
    assert (summary.trade_count, summary.win_rate, summary.fees) == (1, 1.0, q(4))
    assert summary.intents == 2


def test_order_rows_carry_the_final_status_and_average_price() -> None:
    command = {
        "envelope": {"event_time": T0},
        "command": "NEW",
        "client_order_id": "c1",
    }
    partial = _fill("BUY", 4, "10", coid="c1") | {
        "kind": "PARTIAL_FILL",
        "order_status": "PARTIALLY_FILLED",
    }
    last = _fill("BUY", 2, "13", coid="c1") | {"cumulative_quantity": q(6)}
    rows = order_rows([command, {"command": "QUERY"}], [partial, last])
    assert len(rows) == 1
    assert (rows[0].status, rows[0].filled, rows[0].average_price) == (
        "FILLED",
        q(6),
        q(Decimal(66) / 6),
    )
    assert order_rows([command], [])[0].status == "SENT"
