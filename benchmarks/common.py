"""What every benchmark returns, and how it times things.

Machines are noisy, so no benchmark reports an absolute number alone: each measures its
baseline in the same run, interleaved with the subject (:func:`paired_ops_per_second`), and
reports a ratio. Budgets from docs/ARCHITECTURE are stated in the ``note``; a benchmark never
asserts on time.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from streams.decimals import q
from streams.events import derive_event_id, envelope


@dataclass(frozen=True, slots=True)
class Result:
    """One measured quantity; ``ratio`` compares ``value`` with ``baseline`` (see the note)."""

    name: str
    value: float
    unit: str
    baseline: float | None
    ratio: float | None
    note: str


def _time_once(fn: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return time.perf_counter() - start


def ops_per_second(fn: Callable[[], object], n: int, *, repeats: int = 5) -> float:
    """Calls per second of ``fn``: the best of ``repeats`` runs of ``n`` calls (GC paused)."""
    if n <= 0 or repeats <= 0:
        raise ValueError("n and repeats must be positive")
    fn()  # warm caches and lazy initialisation outside the timing
    enabled = gc.isenabled()
    gc.disable()
    try:
        best = min(_time_once(fn, n) for _ in range(repeats))
    finally:
        if enabled:
            gc.enable()
    return n / best if best > 0 else float("inf")


def paired_ops_per_second(
    subject: Callable[[], object],
    baseline: Callable[[], object],
    n: int,
    *,
    repeats: int = 5,
) -> tuple[float, float]:
    """Calls per second of ``subject`` and ``baseline``, measured alternately (best of each).

    Alternating the two in every repeat exposes both to the same machine conditions, which
    makes their ratio far more stable than two separate measurements.
    """
    subject_best = baseline_best = float("inf")
    subject()
    baseline()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            baseline_best = min(baseline_best, _time_once(baseline, n))
            subject_best = min(subject_best, _time_once(subject, n))
    finally:
        if enabled:
            gc.enable()
    return n / subject_best, n / baseline_best


def cost_result(
    name: str,
    ops: float,
    baseline_ops: float,
    *,
    budget: float,
    what: str,
    items_per_call: int = 1,
    unit: str = "ops/s",
) -> Result:
    """A result whose ratio is the cost of the subject relative to the baseline (lower is better).

    ``ratio = baseline_ops / ops``: 1.25 means each call costs 25 % more than the baseline's.
    Values are reported per item when one call handles ``items_per_call`` items.
    """
    ratio = baseline_ops / ops
    verdict = "within budget" if ratio <= budget else "OVER BUDGET"
    note = f"cost vs {what}; budget <= {budget:g}x: {verdict}"
    return Result(name, ops * items_per_call, unit, baseline_ops * items_per_call, ratio, note)


def throughput_result(
    name: str, value: float, baseline: float, unit: str, *, floor: float, what: str
) -> Result:
    """A result whose ratio is the subject's throughput over the baseline's (higher is better)."""
    ratio = value / baseline
    verdict = "within budget" if ratio >= floor else "UNDER BUDGET"
    note = f"throughput vs {what}; budget >= {floor:g}x: {verdict}"
    return Result(name, value, unit, baseline, ratio, note)


_TICK_START = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


def bench_tick(sequence: int, *, namespace: str = "bench") -> dict[str, Any]:
    """A raw ``md.tick`` trade over 16 instruments, 100 us apart; ids unique per namespace."""
    when = _TICK_START + timedelta(microseconds=sequence * 100)
    return {
        "envelope": envelope(
            event_type="md.tick",
            event_id=derive_event_id(namespace, sequence),
            event_time=when,
            ingest_time=when,
            agent="bench",
        ),
        "instrument": f"I{sequence % 16}",
        "venue": "BENCH",
        "feed": "bench",
        "sequence": sequence,
        "kind": "TRADE",
        "price": q("101.25"),
        "size": q("3"),
        "aggressor": "BUY",
        "trade_id": str(sequence),
        "bid_price": None,
        "bid_size": None,
        "ask_price": None,
        "ask_size": None,
    }
