"""The sink loop against a database that goes away mid-run and comes back.

The database refuses connections (ALLOW_CONNECTIONS false) and its sessions are terminated
while the loop writes; the loop must pause its source, back off, keep the batch, and once the
database is back write everything exactly once and only then commit the offsets.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg import sql
from streams.clock import SystemClock
from streams.db.migrations import migrate
from streams.resources import resource_dir
from streams.runtime.metrics import AgentMetrics
from streams.sink.loop import Backoff, ConsumedRecord, SinkLoop
from streams.sink.samples import sample_events
from streams.sink.writer import SinkWriter

START = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


class ListSource:
    """An in-memory partition that records what the loop did to it."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.records = [
            ConsumedRecord("sample", 0, offset, None, b"x", None) for offset in range(len(events))
        ]
        self.events = events
        self.log: list[str] = []
        self.committed: dict[tuple[str, int], int] = {}
        self.keepalives = 0

    def poll_batch(self, max_records: int, timeout: float) -> list[ConsumedRecord]:
        del timeout
        start = self.committed.get(("sample", 0), 0)
        return self.records[start : start + max_records]

    def pause(self) -> None:
        self.log.append("pause")

    def resume(self) -> None:
        self.log.append("resume")

    def keepalive(self) -> None:
        self.keepalives += 1

    def commit(self, offsets: Mapping[tuple[str, int], int]) -> None:
        self.log.append("commit")
        self.committed.update(offsets)

    def lag(self, offsets: Mapping[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        return {key: len(self.records) - offset for key, offset in offsets.items()}


def _set_connections(server_url: str, database: str, *, allowed: bool) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
                sql.Identifier(database), sql.SQL("true" if allowed else "false")
            )
        )
        if not allowed:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (database,),
            )


def test_database_outage_pauses_backs_off_and_loses_nothing(
    fresh_database: str, database_url: str
) -> None:
    migrate(fresh_database, resource_dir("sql"))
    events = [
        e for e in sample_events(START, minutes=4) if e["envelope"]["event_type"] == "md.tick"
    ]
    source = ListSource(events)
    metrics = AgentMetrics("sink")
    database = fresh_database.rsplit("/", 1)[1]
    with SinkWriter(fresh_database, connect_timeout=1) as writer:
        loop = SinkLoop(
            source=source,
            decode=lambda record: events[record.offset],
            writer=writer,
            dead_letters=_NoDeadLetters(),
            metrics=metrics,
            clock=SystemClock(),
            sleep=time.sleep,
            batch_size=50,
            poll_timeout=0.01,
            backoff=Backoff(initial=0.05, maximum=0.4),
        )
        assert loop.step().committed  # the first batch goes in while the database is up
        _set_connections(database_url, database, allowed=False)
        restore = threading.Timer(
            1.5, _set_connections, (database_url, database), {"allowed": True}
        )
        restore.start()
        try:
            outage_started = time.monotonic()
            result = loop.step()  # blocks, backing off, until the database is back
            waited = time.monotonic() - outage_started
        finally:
            restore.join()
        while loop.step().committed:
            pass
    assert result.committed
    assert waited >= 1.0
    assert source.log[:2] == ["commit", "pause"]
    assert source.log[2:4] == ["resume", "commit"]
    assert source.keepalives > 0
    assert metrics.value("tapewire_errors_total") >= 2  # one per failed attempt
    assert source.committed == {("sample", 0): len(events)}
    with psycopg.connect(fresh_database) as conn:
        stored = conn.execute("SELECT count(*), count(DISTINCT event_id) FROM ticks").fetchone()
    assert stored == (len(events), len(events))


class _NoDeadLetters:
    def send(self, record: ConsumedRecord, error: BaseException) -> None:
        pytest.fail(f"nothing should be dead-lettered, got {record}: {error}")

    def flush(self) -> None:
        """Nothing is ever buffered."""
