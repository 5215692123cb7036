"""Timescale sink throughput against a bare COPY of the same rows into the same table.

Budget (docs/ARCHITECTURE.md): the sink writes at least 80 % of the rows/s of a bare COPY.
Both sides get the same pre-mapped tick rows in batches of :data:`BATCH`, one transaction
per batch, into a freshly truncated ``ticks`` table of a migrated database on an embedded
PostgreSQL started for this run; rounds alternate so both see the same machine conditions.

* ``sink write``: :meth:`SinkWriter.write` (duplicate-safe: a COPY in a savepoint, falling
  back to staging + ``INSERT ... ON CONFLICT DO NOTHING`` when a row is already stored);
* ``sink replay``: the same rows written again, every one a duplicate: the staging path
  (reported against the same bare COPY, for information: a bare COPY cannot do this at all);
* ``sink mapping``: :func:`rows_for` events/s, what the sink adds in Python per event.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from streams.db.migrations import migrate
from streams.dev.postgres import EmbeddedPostgres
from streams.dev.process import free_port
from streams.resources import resource_dir
from streams.sink.rows import rows_for
from streams.sink.samples import tick_stream
from streams.sink.statements import bare_copy_sql
from streams.sink.tables import TICKS
from streams.sink.writer import EventRows, SinkWriter

from benchmarks.common import Result, ops_per_second, throughput_result

ROWS = 40_000
BATCH = 5_000
ROUNDS = 5
FLOOR = 0.8
START = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)


def _round_rate(prepare: Callable[[], None], work: Callable[[], None], rows: int) -> float:
    """Rows/s of ``work`` in one round (``prepare`` runs untimed before it)."""
    prepare()
    started = time.perf_counter()
    work()
    return rows / (time.perf_counter() - started)


def _measure(url: str) -> list[Result]:
    events = list(tick_stream(START, ROWS))
    batch = [EventRows(tuple(rows_for(event))) for event in events]
    rows = [event_rows.rows[0].values for event_rows in batch]
    chunks = [slice(i, i + BATCH) for i in range(0, ROWS, BATCH)]
    with psycopg.connect(url, autocommit=True) as conn, SinkWriter(url) as writer:

        def truncate() -> None:
            conn.execute("TRUNCATE ticks")

        def bare_copy() -> None:
            for chunk in chunks:
                with conn.transaction(), conn.cursor() as cur, cur.copy(bare_copy_sql(TICKS)) as cp:
                    for values in rows[chunk]:
                        cp.write_row(values)

        def sink_write() -> None:
            for chunk in chunks:
                writer.write(batch[chunk])

        def nothing() -> None:
            """The replay round writes onto the rows the previous round stored."""

        bare = sink = replay = 0.0
        for _ in range(ROUNDS):
            bare = max(bare, _round_rate(truncate, bare_copy, ROWS))
            sink = max(sink, _round_rate(truncate, sink_write, ROWS))
            replay = max(replay, _round_rate(nothing, sink_write, ROWS))
        stored = conn.execute("SELECT count(*) FROM ticks").fetchone()
        if stored != (ROWS,):
            raise RuntimeError(f"the sink stored {stored} rows, expected {ROWS}")
    mapping = ops_per_second(lambda: rows_for(events[0]), 20_000)
    what = "a bare COPY of the same rows into the same table"
    return [
        throughput_result("sink write (ticks)", sink, bare, "rows/s", floor=FLOOR, what=what),
        Result(
            "sink replay (all duplicates)",
            replay,
            "rows/s",
            bare,
            replay / bare,
            f"information: every row already stored; vs {what}",
        ),
        Result("sink mapping (rows_for)", mapping, "events/s", None, None, "pure Python, per tick"),
    ]


def run() -> list[Result]:
    """Start an embedded PostgreSQL, migrate it, measure, stop it."""
    with tempfile.TemporaryDirectory(prefix="tapewire-bench-sink-") as tmp:
        postgres = EmbeddedPostgres(Path(tmp), free_port())
        postgres.start()
        try:
            migrate(postgres.database_url, resource_dir("sql"))
            return _measure(postgres.database_url)
        finally:
            postgres.stop()
