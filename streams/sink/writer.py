"""Write batches of event rows to PostgreSQL/TimescaleDB, once, in one transaction each.

Each batch is one transaction: it commits or nothing is written. Per table, the rows of the
batch are COPYed into the session TEMP staging table and moved with one ``INSERT ... SELECT
... ON CONFLICT`` (``DO NOTHING`` for event tables, a merge for ``orders``): re-inserting rows
that are already stored changes nothing. Because ``ON CONFLICT`` costs about twice a plain
insert (speculative insertion), event tables first try the optimistic path: a COPY straight
into the table inside a savepoint. The table's unique event key refuses it atomically if any
row is already there (a replay, a redelivery); then the savepoint is rolled back and the
staging path runs, and the table stays on the staging path until a batch meets no duplicate.
Either way the result is the same rows; live traffic (no duplicates) pays a bare COPY.

If the database rejects a row (a constraint or a bad value), the batch
is retried event by event, each in a savepoint, and the events whose rows the database
refuses are returned as rejections (the caller dead-letters them) while the others are
written. A lost connection raises :class:`DatabaseUnavailableError` (retriable): nothing of
the batch was committed, the caller backs off and writes the same batch again. The writer
never creates or alters tables; a missing table is a :class:`DatabaseError` telling the
operator to run ``tapewire migrate``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from streams.db.connection import connect, translate
from streams.errors import DatabaseError
from streams.sink.statements import bare_copy_sql, copy_sql, create_stage_sql, insert_sql
from streams.sink.tables import ORDERS, TABLES, TableRow, TableSpec, merge_order_rows

Connection = psycopg.Connection[tuple[object, ...]]
# What the database raises for a row it refuses (constraint, bad value): isolate the row.
_ROW_ERRORS = (psycopg.IntegrityError, psycopg.DataError)


@dataclass(frozen=True, slots=True)
class EventRows:
    """The rows of one consumed event; written or rejected together."""

    rows: tuple[TableRow, ...]


@dataclass(frozen=True, slots=True)
class Rejection:
    """An event of the batch (by index) whose rows the database refused, and why."""

    index: int
    reason: str
    error: DatabaseError


@dataclass(slots=True)
class WriteResult:
    """Rows inserted (or merged) per table and the rejected events of a batch."""

    written: dict[str, int] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def rows_written(self) -> int:
        return sum(self.written.values())


class RowRejectedError(DatabaseError):
    """The database refused an event's rows (constraint violation, invalid value)."""


class SinkWriter:
    """Writes batches to one database; reconnects lazily after a lost connection."""

    def __init__(self, database_url: str, *, connect_timeout: int = 5) -> None:
        self._url = database_url
        self._connect_timeout = connect_timeout
        self._conn: Connection | None = None
        self._staged: set[str] = set()
        # tables whose last batch held rows already stored (a replay): staging path first
        self._conflicting: set[str] = set()

    def write(self, batch: Sequence[EventRows]) -> WriteResult:
        """Write ``batch``; see the module docstring for the failure semantics."""
        if not batch:
            return WriteResult()
        conn = self._connection()
        try:
            self._ensure_stages(conn, {row.table for event in batch for row in event.rows})
            try:
                with conn.transaction():
                    return WriteResult(written=self._write_bulk(conn, batch))
            except _ROW_ERRORS:
                return self._write_isolated(conn, batch)
        except psycopg.Error as exc:
            error = translate(exc, "sink write failed")
            if error.retriable or conn.closed:
                self._drop_connection()
            if isinstance(exc, psycopg.errors.UndefinedTable):
                raise DatabaseError(f"{error} (run `tapewire migrate` first)") from exc
            raise error from exc

    def close(self) -> None:
        self._drop_connection()

    def __enter__(self) -> SinkWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ----------------------------------------------------------------------------------

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed:
            self._staged.clear()
            self._conn = connect(self._url, connect_timeout=self._connect_timeout)
            self._conn.autocommit = True  # transactions are explicit (conn.transaction())
        return self._conn

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        self._staged.clear()
        if conn is not None and not conn.closed:
            conn.close()

    def _ensure_stages(self, conn: Connection, tables: set[str]) -> None:
        """Create missing staging tables outside the batch transaction (autocommit)."""
        for table in sorted(tables - self._staged):
            conn.execute(create_stage_sql(TABLES[table]))
            self._staged.add(table)

    def _write_bulk(self, conn: Connection, batch: Sequence[EventRows]) -> dict[str, int]:
        by_table: dict[str, list[tuple[object, ...]]] = defaultdict(list)
        for event in batch:
            for row in event.rows:
                by_table[row.table].append(row.values)
        written: dict[str, int] = {}
        with conn.cursor() as cur:
            for table, table_rows in by_table.items():
                spec = TABLES[table]
                if spec.mode == "ignore" and table not in self._conflicting:
                    if self._copy_direct(conn, cur, spec, table_rows):
                        written[table] = len(table_rows)
                        continue
                    self._conflicting.add(table)
                rows = table_rows
                if spec.mode == "merge":
                    merged = merge_order_rows(TableRow(table, values) for values in table_rows)
                    rows = [row.values for row in merged]
                _copy(cur, copy_sql(spec), rows)
                cur.execute(insert_sql(spec, "stage"))
                written[table] = max(cur.rowcount, 0)
                if spec.mode == "ignore" and written[table] == len(rows):
                    self._conflicting.discard(table)  # no duplicate in this batch: go direct
        return written

    @staticmethod
    def _copy_direct(
        conn: Connection,
        cur: psycopg.Cursor[tuple[object, ...]],
        spec: TableSpec,
        rows: Sequence[tuple[object, ...]],
    ) -> bool:
        """COPY straight into the table in a savepoint; False if a row already exists."""
        try:
            with conn.transaction():
                _copy(cur, bare_copy_sql(spec), rows)
        except psycopg.errors.UniqueViolation:
            return False
        return True

    def _write_isolated(self, conn: Connection, batch: Sequence[EventRows]) -> WriteResult:
        result = WriteResult()
        written: dict[str, int] = defaultdict(int)
        with conn.transaction(), conn.cursor() as cur:
            for index, event in enumerate(batch):
                try:
                    with conn.transaction():  # a savepoint per event
                        counts = _insert_event(cur, event)
                except _ROW_ERRORS as exc:
                    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                    result.rejected.append(
                        Rejection(index, reason, RowRejectedError(f"row rejected: {reason}"))
                    )
                    continue
                for table, count in counts.items():
                    written[table] += count
        result.written = dict(written)
        return result


def _copy(
    cur: psycopg.Cursor[tuple[object, ...]],
    statement: sql.Composed,
    rows: Sequence[tuple[object, ...]],
) -> None:
    with cur.copy(statement) as copy:
        for values in rows:
            copy.write_row(values)


def _insert_event(cur: psycopg.Cursor[tuple[object, ...]], event: EventRows) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    orders = [row for row in event.rows if row.table == ORDERS.name]
    others = [row for row in event.rows if row.table != ORDERS.name]
    for row in [*others, *merge_order_rows(orders)]:
        cur.execute(insert_sql(TABLES[row.table], "values"), row.values)
        counts[row.table] += max(cur.rowcount, 0)
    return counts
