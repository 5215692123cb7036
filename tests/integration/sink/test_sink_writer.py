"""The bulk writer on a migrated embedded PostgreSQL: idempotent, isolating, reconnecting."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from streams.db.migrations import migrate
from streams.errors import DatabaseError, DatabaseUnavailableError
from streams.resources import resource_dir
from streams.sink.rows import rows_for
from streams.sink.samples import sample_events, tick
from streams.sink.tables import TABLES
from streams.sink.writer import EventRows, SinkWriter

START = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def database(fresh_database: str) -> str:
    migrate(fresh_database, resource_dir("sql"))
    return fresh_database


def _batch(events: list[dict[str, Any]], run_id: str = "live") -> list[EventRows]:
    return [EventRows(tuple(rows_for(event, run_id))) for event in events]


def _counts(url: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    with psycopg.connect(url) as conn:
        for table in TABLES:
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
            assert row is not None
            counts[table] = int(row[0])
    return counts


def test_same_batch_twice_gives_the_same_counts(database: str) -> None:
    events = sample_events(START, minutes=5)
    with SinkWriter(database) as writer:
        first = writer.write(_batch(events))
        counts = _counts(database)
        second = writer.write(_batch(events))
    assert not first.rejected
    assert counts["ticks"] == sum(e["envelope"]["event_type"] == "md.tick" for e in events)
    assert counts["orders"] == sum(e["envelope"]["event_type"] == "order.command" for e in events)
    assert all(counts[t] > 0 for t in TABLES), counts
    assert _counts(database) == counts
    # nothing new was inserted the second time; orders were re-merged to the same state
    assert {t: n for t, n in second.written.items() if t != "orders"} == dict.fromkeys(
        (t for t in second.written if t != "orders"), 0
    )


def test_batches_in_any_split_reach_the_same_order_state(database: str) -> None:
    events = [
        e
        for e in sample_events(START, minutes=3)
        if e["envelope"]["event_type"] in ("order.command", "order.event")
    ]
    with SinkWriter(database) as writer:
        for event in reversed(events):  # worst case: newest change first, one per batch
            writer.write(_batch([event]))
    with psycopg.connect(database) as conn:
        states = conn.execute(
            "SELECT status, cumulative_quantity = quantity, submitted_time IS NOT NULL, "
            "order_type FROM orders"
        ).fetchall()
    assert states
    assert set(states) == {("FILLED", True, True, "MARKET")}


def test_replayed_rows_are_kept_apart_by_run_id(database: str) -> None:
    events = sample_events(START, minutes=2)
    with SinkWriter(database) as writer:
        writer.write(_batch(events))
        writer.write(_batch(events, run_id="replay-1"))
    with psycopg.connect(database) as conn:
        rows = conn.execute("SELECT run_id, count(*) FROM ticks GROUP BY 1").fetchall()
    runs: dict[str, int] = dict(rows)
    assert runs["live"] == runs["replay-1"] > 0


def test_a_rejected_row_is_isolated_and_the_rest_is_written(database: str) -> None:
    good = [tick("BTC-USD", START, i, Decimal(100), Decimal(1)) for i in range(5)]
    bad = tick("BTC-USD", START, 99, Decimal(100), Decimal(1))
    bad["price"] = Decimal("-1.000000000")  # violates ticks.price > 0
    batch = _batch([*good[:2], bad, *good[2:]])
    with SinkWriter(database) as writer:
        result = writer.write(batch)
    assert [r.index for r in result.rejected] == [2]
    assert "ticks_price_check" in result.rejected[0].reason
    assert result.written == {"ticks": 5}
    assert _counts(database)["ticks"] == 5


def test_an_event_is_written_entirely_or_not_at_all(database: str) -> None:
    fill = next(e for e in sample_events(START, minutes=2) if e.get("kind") == "FILL")
    broken = {**fill, "fill_price": None}  # order_events accepts it, fills.price NOT NULL does not
    with SinkWriter(database) as writer:
        result = writer.write(_batch([broken]))
    assert len(result.rejected) == 1
    counts = _counts(database)
    assert counts["order_events"] == counts["fills"] == counts["orders"] == 0


def test_a_lost_connection_is_retriable_and_the_writer_reconnects(database: str) -> None:
    events = [tick("ETH-USD", START, i, Decimal(10), Decimal(1)) for i in range(3)]
    with SinkWriter(database) as writer:
        writer.write(_batch(events[:1]))
        with psycopg.connect(database, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        with pytest.raises(DatabaseUnavailableError):
            writer.write(_batch(events))
        result = writer.write(_batch(events))  # the same batch again, on a new connection
    assert result.written == {"ticks": 2}
    assert _counts(database)["ticks"] == 3


def test_missing_tables_say_run_migrate(fresh_database: str) -> None:
    with (
        SinkWriter(fresh_database) as writer,
        pytest.raises(DatabaseError, match="tapewire migrate") as info,
    ):
        writer.write(_batch([tick("X", START, 1, Decimal(1), Decimal(1))]))
    assert not info.value.retriable


def test_unreachable_database_is_retriable() -> None:
    url = "postgresql://nobody@127.0.0.1:1/none"
    with (
        SinkWriter(url, connect_timeout=1) as writer,
        pytest.raises(DatabaseUnavailableError) as info,
    ):
        writer.write(_batch([tick("X", START, 1, Decimal(1), Decimal(1))]))
    assert info.value.retriable


def test_a_batch_mixing_stored_and_new_rows_inserts_only_the_new_ones(database: str) -> None:
    ticks = [tick("BTC-USD", START, i, Decimal(100), Decimal(1)) for i in range(30)]
    with SinkWriter(database) as writer:
        first = writer.write(_batch(ticks[:10]))  # nothing stored yet: straight COPY
        mixed = writer.write(_batch(ticks[5:20]))  # 5 stored, 10 new: the staging path
        fresh = writer.write(_batch(ticks[20:]))  # no duplicates: back to the straight COPY
        again = writer.write(_batch(ticks))
    assert [r.written["ticks"] for r in (first, mixed, fresh, again)] == [10, 10, 10, 0]
    assert _counts(database)["ticks"] == 30


def test_duplicates_inside_one_batch_are_stored_once(database: str) -> None:
    one = tick("BTC-USD", START, 1, Decimal(100), Decimal(1))
    with SinkWriter(database) as writer:
        result = writer.write(_batch([one, one, one]))
    assert result.written == {"ticks": 1}
    assert not result.rejected
    assert _counts(database)["ticks"] == 1
