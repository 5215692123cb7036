"""`tapewire backtest` on the arch S&P 500 daily file with the sma_cross example (issue 7).

Two runs must write byte-identical files; the files are then checked against quantities
computed here independently: SMA(10)/SMA(30) crossings with numpy, fills at the next bar's
open with the exchange's slippage and fee rules, and the summary from equity.csv.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pytest
from streams.backtest.output import FILES
from streams.cli.main import main
from streams.decimals import q
from streams.exchange.config import load_exchange_config
from streams.marketdata.files import sp500_path
from streams.strategy.examples import SMA_CROSS

NEW_YORK = ZoneInfo("America/New_York")
QUANTITY = Decimal(10)
BPS = Decimal(10_000)


@dataclass(frozen=True)
class Daily:
    ends: list[datetime]
    open: list[Decimal]
    volume: list[Decimal]
    closes: list[Decimal]
    close: npt.NDArray[np.float64]


@dataclass(frozen=True)
class Runs:
    first: Path
    second: Path


def _cent(text: str) -> Decimal:
    return Decimal(text).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


@pytest.fixture(scope="module")
def daily() -> Daily:
    with gzip.open(sp500_path(), "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    ends = []
    for row in rows:
        month, day, year = (int(p) for p in row["Date"].split("/"))
        start = datetime.combine(date(year, month, day), time(), tzinfo=NEW_YORK)
        ends.append(start.astimezone(UTC) + timedelta(days=1))
    return Daily(
        ends=ends,
        open=[_cent(r["Open"]) for r in rows],
        volume=[Decimal(r["Volume"]) for r in rows],
        closes=[_cent(r["Close"]) for r in rows],
        close=np.array([float(_cent(r["Close"])) for r in rows]),
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """One run in this process, one in a fresh interpreter with another hash seed."""
    out = tmp_path_factory.mktemp("sp500")
    args = ["backtest", "--data", str(sp500_path()), "--strategy", str(SMA_CROSS), "--output"]
    assert main([*args, str(out / "first")]) == 0
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    command = [sys.executable, "-m", "streams.cli.main", *args, str(out / "second")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return Runs(out / "first", out / "second")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _sma(values: npt.NDArray[np.float64], period: int) -> npt.NDArray[np.float64]:
    out = np.full(values.shape, np.nan)
    out[period - 1 :] = np.convolve(values, np.ones(period) / period, mode="valid")
    return out


def _expected_intents(close: npt.NDArray[np.float64]) -> list[tuple[int, str]]:
    """(bar index, side) of each intent: enter on a cross above when flat, exit below."""
    fast, slow = _sma(close, 10), _sma(close, 30)
    intents: list[tuple[int, str]] = []
    long = False
    for i in range(30, len(close)):
        gap_before, gap_now = fast[i - 1] - slow[i - 1], fast[i] - slow[i]
        assert abs(gap_now) > 1e-6, "a near-tie would make the float comparison ambiguous"
        if not long and gap_before <= 0 < gap_now:
            intents.append((i, "BUY"))
            long = True
        elif long and gap_before >= 0 > gap_now:
            intents.append((i, "SELL"))
            long = False
    return intents


def test_two_runs_write_the_six_files_byte_for_byte_identically(runs: Runs) -> None:
    for name in FILES:
        first, second = (runs.first / name).read_bytes(), (runs.second / name).read_bytes()
        assert first, f"{name} is empty"
        assert first == second, f"{name} differs between two runs"
    assert (runs.first / "equity.png").read_bytes().startswith(b"\x89PNG")
    page = (runs.first / "equity.html").read_text(encoding="utf-8")
    assert "<svg" in page
    assert "<script" not in page
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_orders_are_placed_at_the_sma_crossings(runs: Runs, daily: Daily) -> None:
    expected = _expected_intents(daily.close)
    assert len(expected) > 100, "20 years of SPX cross many times"
    orders = _rows(runs.first / "orders.csv")
    got = [(datetime.fromisoformat(o["time"]), o["side"]) for o in orders]
    assert got == [(daily.ends[i], side) for i, side in expected]
    assert {o["status"] for o in orders} == {"FILLED"}


def test_each_fill_is_at_the_next_bars_open_with_slippage_and_fees(
    runs: Runs, daily: Daily
) -> None:
    config = load_exchange_config()
    trades = _rows(runs.first / "trades.csv")
    expected = _expected_intents(daily.close)
    # the last intent may be decided on the last bar, with no next bar to fill it
    filled = [(i, side) for i, side in expected if i + 1 < len(daily.ends)]
    assert len(trades) == len(filled)
    for trade, (i, side) in zip(trades, filled, strict=True):
        nxt = i + 1
        bps = config.slippage_bps + config.impact_bps * QUANTITY / daily.volume[nxt]
        move = daily.open[nxt] * bps / BPS
        price = q(daily.open[nxt] + move if side == "BUY" else daily.open[nxt] - move)
        assert datetime.fromisoformat(trade["time"]) == daily.ends[nxt]
        assert (trade["side"], Decimal(trade["quantity"])) == (side, QUANTITY)
        assert Decimal(trade["price"]) == price
        assert Decimal(trade["fee"]) == q(QUANTITY * price * config.fees.taker_bps / BPS)
        assert trade["liquidity"] == "TAKER"


def test_the_summary_matches_figures_recomputed_from_the_files(runs: Runs) -> None:
    summary = json.loads((runs.first / "summary.json").read_text(encoding="utf-8"))
    rows = _rows(runs.first / "equity.csv")
    equity = np.array([float(r["equity"]) for r in rows])
    capital = float(summary["initial_capital"])
    returns = equity[1:] / equity[:-1] - 1.0
    peak = np.maximum.accumulate(np.concatenate([[capital], equity]))[1:]
    assert summary["bars"] == len(rows) == 5031
    assert summary["total_return"] == pytest.approx(equity[-1] / capital - 1.0, rel=1e-9)
    assert summary["max_drawdown"] == pytest.approx(float(np.max((peak - equity) / peak)), 1e-6)
    stdev = float(np.std(returns, ddof=1))
    assert summary["annualised_volatility"] == pytest.approx(stdev * math.sqrt(252), rel=1e-8)
    assert summary["sharpe"] == pytest.approx(
        float(np.mean(returns)) / stdev * math.sqrt(252), rel=1e-8
    )
    trades = _rows(runs.first / "trades.csv")
    buys = [t for t in trades if t["side"] == "BUY"]
    sells = [t for t in trades if t["side"] == "SELL"]
    results = [
        (Decimal(s["price"]) - Decimal(b["price"])) * QUANTITY
        - Decimal(b["fee"])
        - Decimal(s["fee"])
        for b, s in zip(buys, sells, strict=False)
    ]
    assert summary["trade_count"] == len(sells) == len(results)
    assert summary["win_rate"] == pytest.approx(sum(r > 0 for r in results) / len(results))
    assert Decimal(summary["fees"]) == q(sum(Decimal(t["fee"]) for t in trades))
    assert (summary["intents"], summary["approved"], summary["rejected"]) == (
        len(_rows(runs.first / "orders.csv")),
        len(_rows(runs.first / "orders.csv")),
        0,
    )
    assert (summary["violations"], summary["dead_letters"]) == (0, 0)
    final_pnl = float(rows[-1]["net_pnl"])
    assert float(summary["final_equity"]) == pytest.approx(capital + final_pnl)


def test_equity_is_cash_plus_the_position_marked_at_each_close(runs: Runs, daily: Daily) -> None:
    """Recomputed from trades.csv and the file's closes: capital + cash + position x close."""
    summary = json.loads((runs.first / "summary.json").read_text(encoding="utf-8"))
    capital = Decimal(summary["initial_capital"])
    fills: dict[datetime, list[dict[str, str]]] = {}
    for trade in _rows(runs.first / "trades.csv"):
        fills.setdefault(datetime.fromisoformat(trade["time"]), []).append(trade)
    rows = _rows(runs.first / "equity.csv")
    cash, position = Decimal(0), Decimal(0)
    for row, end, mark in zip(rows, daily.ends, daily.closes, strict=True):
        for trade in fills.get(end, []):
            signed = Decimal(trade["quantity"]) * (1 if trade["side"] == "BUY" else -1)
            position += signed
            cash -= signed * Decimal(trade["price"]) + Decimal(trade["fee"])
        assert datetime.fromisoformat(row["time"]) == end
        assert Decimal(row["equity"]) == q(capital + cash + position * mark), row["time"]
