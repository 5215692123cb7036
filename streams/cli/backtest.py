"""``tapewire backtest``: run a strategy over a bar file through the live processor chain.

Thin: parses the options, then :mod:`streams.backtest.runner` validates (exit 2 naming the
option or field on a bad one), runs and :mod:`streams.backtest.output` writes the report.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from streams.backtest.data import count_rows
from streams.backtest.output import write_outputs
from streams.backtest.progress import ProgressBar
from streams.backtest.runner import BacktestRequest, execute, prepare
from streams.clock import SystemClock


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "backtest",
        help="run a strategy over a bar or tick file in process (no broker), write a report",
        description=(
            "Runs the live processors (indicators, strategy, risk gate, order manager, "
            "simulated exchange, PnL) in event-time order over a CSV/CSV.gz/Parquet bar file "
            "(or a tick file, through the tick normalizer and bar aggregator too) "
            "and writes trades.csv, orders.csv, equity.csv, summary.json, equity.png and "
            "equity.html into --output. Assumptions: docs/backtest.md."
        ),
    )
    parser.add_argument(
        "--data", required=True, type=Path, help="bar or tick file (.csv/.csv.gz/.parquet)"
    )
    parser.add_argument(
        "--strategy", required=True, help="strategy YAML file or package.module:Class"
    )
    parser.add_argument("--output", required=True, type=Path, help="directory for the report")
    parser.add_argument(
        "--from", dest="start", help="keep bars ending after this ISO date (its start) or time"
    )
    parser.add_argument(
        "--to", dest="end", help="keep bars ending at or before this ISO date (its end) or time"
    )
    parser.add_argument(
        "--config", type=Path, help="YAML with capital:, risk: and exchange: sections"
    )
    parser.add_argument(
        "--mapping", type=Path, help="YAML of BarMapping/TickMapping fields (columns, time format)"
    )
    parser.add_argument("--instrument", help="instrument of the rows (default: the strategy's)")
    parser.add_argument(
        "--timezone",
        help="IANA zone of times without an offset (default UTC; S&P 500 file: New York)",
    )
    parser.add_argument("--instruments-file", type=Path, help="instruments YAML (default packaged)")
    parser.add_argument(
        "--bar-interval",
        type=int,
        help="tick files: seconds per bar built from the ticks (default the strategy's, or 60)",
    )
    parser.set_defaults(handler=_backtest)


def _backtest(args: argparse.Namespace) -> int:
    request = BacktestRequest(
        data=args.data,
        strategy=args.strategy,
        output=args.output,
        config=args.config,
        mapping=args.mapping,
        instrument=args.instrument,
        start=args.start,
        end=args.end,
        timezone=args.timezone,
        instruments_file=args.instruments_file,
        bar_interval=args.bar_interval,
    )
    prepared = prepare(request)
    progress = None
    if sys.stderr.isatty():
        progress = ProgressBar(
            sys.stderr, SystemClock(), count_rows(request.data), unit=prepared.kind
        )
    outcome = execute(prepared, progress=progress)
    write_outputs(
        request.output,
        fills=outcome.fills,
        orders=outcome.orders,
        equity=outcome.equity,
        summary=outcome.summary,
        title=prepared.title,
    )
    summary = outcome.summary
    if outcome.dead_letters:
        first = outcome.dead_letters[0]
        print(
            f"tapewire: warning: {len(outcome.dead_letters)} record(s) refused by a processor "
            f"and skipped, first: {first.processor} on {first.record.topic}: {first.error}",
            file=sys.stderr,
        )
    print(
        f"{prepared.title} ({prepared.kind}): {summary['bars']} bars, "
        f"{summary['trade_count']} round trips, "
        f"return {summary['total_return']:.2%}, Sharpe {summary['sharpe']:.2f}, "
        f"max drawdown {summary['max_drawdown']:.2%} -> {request.output}"
    )
    return 0
