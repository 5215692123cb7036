"""Run every ``benchmarks/bench_*.py`` (or those whose name contains an argument) and print a table.

A benchmark that fails is reported with its error; the others still run, and the exit
status is 1 at the end.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from typing import cast

import benchmarks
from benchmarks.common import Result

COLUMNS = ("benchmark", "value unit", "baseline", "ratio", "note")


def discover(selected: Sequence[str] = ()) -> list[str]:
    """Module names of the benchmarks, optionally only those containing one of ``selected``."""
    names = sorted(
        info.name
        for info in pkgutil.iter_modules(benchmarks.__path__)
        if info.name.startswith("bench_")
    )
    if selected:
        names = [n for n in names if any(s in n for s in selected)]
    return names


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    return f"{text} {unit}".strip()


def format_table(results: Sequence[Result]) -> str:
    rows = [COLUMNS] + [
        (
            r.name,
            _number(r.value, r.unit),
            _number(r.baseline, r.unit),
            "-" if r.ratio is None else f"{r.ratio:.2f}x",
            r.note,
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def _load(name: str) -> Callable[[], list[Result]]:
    module = importlib.import_module(f"benchmarks.{name}")
    return cast(Callable[[], list[Result]], module.run)


def run_all(
    names: Sequence[str], load: Callable[[str], Callable[[], list[Result]]] = _load
) -> tuple[list[Result], list[str]]:
    """Run the named benchmarks in order; the results of those that worked, and the failed."""
    results: list[Result] = []
    failed: list[str] = []
    for name in names:
        started = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            results.extend(load(name)())
        except Exception:  # noqa: BLE001 - one failing benchmark must not stop the others
            failed.append(name)
            print(f"{name} FAILED:\n{traceback.format_exc()}", file=sys.stderr)
        print(f"  {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return results, failed


def main(argv: Sequence[str] | None = None) -> int:
    selected = list(sys.argv[1:] if argv is None else argv)
    names = discover(selected)
    if not names:
        print(f"no benchmark matches {selected}", file=sys.stderr)
        return 2
    results, failed = run_all(names)
    print(format_table(results))
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
