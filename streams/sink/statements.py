"""The SQL the sink writer runs, built from :mod:`streams.sink.tables` (pure).

Per target table a session TEMP staging table ``tapewire_stage_<table>`` (``LIKE`` the
target, ``ON COMMIT DELETE ROWS``) receives the batch by COPY; one ``INSERT ... SELECT``
moves it into the target, skipping (``ignore``) or merging (``merge``) conflicts. A TEMP
table lives only in the sink's session; it is not a schema change.
"""

from __future__ import annotations

from typing import Final, Literal

from psycopg import sql

from streams.sink.tables import ORDER_EARLIEST_COLUMNS, TERMINAL_RANK, TableSpec

STAGE_PREFIX: Final = "tapewire_stage_"
Source = Literal["stage", "values"]


def stage_name(spec: TableSpec) -> str:
    return f"{STAGE_PREFIX}{spec.name}"


def create_stage_sql(spec: TableSpec) -> sql.Composed:
    """Create the staging table of ``spec`` for this session (once per connection)."""
    return sql.SQL(
        "CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {target} INCLUDING DEFAULTS) "
        "ON COMMIT DELETE ROWS"
    ).format(stage=sql.Identifier(stage_name(spec)), target=sql.Identifier(spec.name))


def copy_sql(spec: TableSpec) -> sql.Composed:
    """COPY into the staging table (the sink) ..."""
    return sql.SQL("COPY {stage} ({columns}) FROM STDIN").format(
        stage=sql.Identifier(stage_name(spec)), columns=_columns(spec)
    )


def bare_copy_sql(spec: TableSpec) -> sql.Composed:
    """... or straight into the target (the benchmark's baseline)."""
    return sql.SQL("COPY {target} ({columns}) FROM STDIN").format(
        target=sql.Identifier(spec.name), columns=_columns(spec)
    )


def insert_sql(spec: TableSpec, source: Source) -> sql.Composed:
    """``INSERT`` into the target from the staging table or from one row of parameters."""
    if source == "stage":
        rows = sql.SQL("SELECT {columns} FROM {stage}").format(
            columns=_columns(spec), stage=sql.Identifier(stage_name(spec))
        )
    else:
        rows = sql.SQL("VALUES ({})").format(
            sql.SQL(", ").join(sql.Placeholder() for _ in spec.columns)
        )
    return sql.SQL("INSERT INTO {target} AS target ({columns}) {rows} {conflict}").format(
        target=sql.Identifier(spec.name),
        columns=_columns(spec),
        rows=rows,
        conflict=_conflict(spec),
    )


def _columns(spec: TableSpec) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(c) for c in spec.columns)


def _conflict(spec: TableSpec) -> sql.Composable:
    if spec.mode == "ignore":
        return sql.SQL("ON CONFLICT DO NOTHING")
    newer = sql.SQL(
        "(excluded.status_rank >= {terminal}, excluded.time, excluded.status_rank, "
        "coalesce(excluded.cumulative_quantity, 0)) >= "
        "(target.status_rank >= {terminal}, target.time, target.status_rank, "
        "coalesce(target.cumulative_quantity, 0))"
    ).format(terminal=sql.Literal(TERMINAL_RANK))
    assignments: list[sql.Composable] = []
    for column in spec.columns:
        if column in spec.key:
            continue
        col = sql.Identifier(column)
        if column in ORDER_EARLIEST_COLUMNS:
            value: sql.Composable = sql.SQL("least(target.{col}, excluded.{col})").format(col=col)
        else:
            value = sql.SQL(
                "CASE WHEN {newer} THEN coalesce(excluded.{col}, target.{col}) "
                "ELSE coalesce(target.{col}, excluded.{col}) END"
            ).format(newer=newer, col=col)
        assignments.append(sql.SQL("{col} = {value}").format(col=col, value=value))
    return sql.SQL("ON CONFLICT ({key}) DO UPDATE SET {assignments}").format(
        key=sql.SQL(", ").join(sql.Identifier(c) for c in spec.key),
        assignments=sql.SQL(", ").join(assignments),
    )
