"""``tapewire indicators compute|list``: indicators over a CSV of bars, with the same classes
the indicators agent runs, so results can be checked against other tools."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from streams.errors import ConfigError
from streams.indicators.csv_io import REQUIRED_COLUMNS, read_bars, write_indicators
from streams.indicators.registry import INDICATORS, parse_specs

_EXAMPLE = "ema:20,rsi:14,adx:14,macd:12:26:9,bbands:20:2,atr:14"


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "indicators", help="compute technical indicators over a CSV of bars"
    )
    cmds = parser.add_subparsers(dest="indicators_command", metavar="ACTION", required=True)
    compute = cmds.add_parser(
        "compute",
        help="indicators over a bar CSV -> one column per output",
        description=(
            f"Reads a CSV with columns {','.join(REQUIRED_COLUMNS)} and writes time plus one "
            "column per indicator output (e.g. macd_12_26_9_signal); a value still warming "
            "up is an empty cell. See docs/indicators.md."
        ),
    )
    compute.add_argument("--input", type=Path, required=True, help="CSV of bars")
    compute.add_argument(
        "--spec", required=True, help=f"comma-separated indicator specs, e.g. {_EXAMPLE}"
    )
    compute.add_argument("--output", type=Path, required=True, help="CSV to write")
    compute.set_defaults(handler=_compute)
    listing = cmds.add_parser("list", help="the known indicators, parameters and outputs")
    listing.set_defaults(handler=_list)


def _compute(args: argparse.Namespace) -> int:
    specs = parse_specs(args.spec, field="--spec")
    source: Path = args.input
    target: Path = args.output
    try:
        lines = source.open(encoding="utf-8-sig", newline="")  # tolerate a BOM
    except OSError as exc:
        raise ConfigError("--input", f"cannot read {source}: {exc.strerror or exc}") from exc
    partial = target.with_name(f".{target.name}.partial")
    try:
        with lines, partial.open("w", encoding="utf-8", newline="") as out:
            rows = write_indicators(out, read_bars(lines), specs)
        partial.replace(target)
    except UnicodeDecodeError as exc:
        raise ConfigError("--input", f"{source} is not UTF-8 text: {exc}") from exc
    except OSError as exc:
        raise ConfigError("--output", f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    columns = sum(len(spec.outputs) for spec in specs)
    print(f"wrote {rows} rows x {columns} indicator columns to {target}", file=sys.stderr)
    return 0


def _list(args: argparse.Namespace) -> int:
    del args
    for definition in INDICATORS.values():
        outputs = ", ".join(definition.outputs)
        print(f"{definition.usage:<28} {definition.description} [{outputs}]")
    return 0
