"""Apply the numbered SQL migrations of ``sql/`` in order, once each.

The tracking table ``tapewire_migrations`` records version, name, checksum (SHA-256 of the
file), the variant the file was rendered for and when it was applied. Each migration runs in
its own transaction together with its tracking row, so a failed migration leaves nothing
behind. A session advisory lock keeps two runners (a Helm job and a developer, say) from
applying the same file twice. An applied file whose checksum changed is refused.

The variant (``timescaledb`` or ``postgresql``, see :mod:`streams.db.sqlscript`) is chosen
once per database: the one already recorded, else ``timescaledb`` when the extension is
installed or available on the server, else ``postgresql``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final, cast

import psycopg

from streams.db.connection import connect, translate
from streams.db.errors import ChecksumMismatchError, MigrationError
from streams.db.sqlscript import (
    VARIANTS,
    MigrationFile,
    Variant,
    discover,
    render,
    split_statements,
)

TRACKING_TABLE: Final = "tapewire_migrations"
_LOCK_KEY: Final = 7_402_114_519_233  # arbitrary constant: "tapewire migrations"

_CREATE_TRACKING: Final = f"""
CREATE TABLE IF NOT EXISTS {TRACKING_TABLE} (
    version     integer     PRIMARY KEY,
    name        text        NOT NULL,
    checksum    text        NOT NULL,
    variant     text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True, slots=True)
class AppliedMigration:
    """A row of the tracking table."""

    version: int
    name: str
    checksum: str
    variant: str
    applied_at: datetime


@dataclass(frozen=True, slots=True)
class MigrationReport:
    """What a run did (or, dry, would do)."""

    variant: Variant
    applied: tuple[MigrationFile, ...]
    already_applied: tuple[AppliedMigration, ...]


def pending(
    files: Sequence[MigrationFile], applied: Sequence[AppliedMigration]
) -> list[MigrationFile]:
    """The files still to apply, in order; refuses edited or vanished applied migrations."""
    by_version = {m.version: m for m in files}
    for row in applied:
        file = by_version.get(row.version)
        if file is None:
            raise MigrationError(
                f"the database has migration {row.version:04d}_{row.name} applied but there "
                "is no such file: this code is older than the database schema"
            )
        if file.checksum != row.checksum:
            raise ChecksumMismatchError(file.file_name, row.checksum, file.checksum)
    done = {row.version for row in applied}
    return [m for m in files if m.version not in done]


def choose_variant(
    recorded: Sequence[AppliedMigration], extension_available: bool, requested: Variant | None
) -> Variant:
    """The variant to render with: the recorded one, else the requested, else detected."""
    seen = {row.variant for row in recorded}
    if len(seen) > 1:
        raise MigrationError(f"{TRACKING_TABLE} mixes variants {sorted(seen)}; fix by hand")
    if seen:
        (existing,) = seen
        if existing not in VARIANTS:
            raise MigrationError(f"{TRACKING_TABLE} records unknown variant {existing!r}")
        if requested is not None and requested != existing:
            raise MigrationError(
                f"the database was migrated as {existing!r}; cannot continue as {requested!r}"
            )
        return existing
    if requested is not None:
        return requested
    return "timescaledb" if extension_available else "postgresql"


def migrate(
    database_url: str,
    directory: Path,
    *,
    variant: Variant | None = None,
    dry_run: bool = False,
) -> MigrationReport:
    """Apply every pending migration of ``directory`` to ``database_url``."""
    files = discover(directory)
    with connect(database_url, autocommit=True) as conn:
        try:
            conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
            try:
                return _migrate_locked(conn, files, variant, dry_run)
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
        except psycopg.Error as exc:
            raise translate(exc, "migration bookkeeping failed") from exc


def applied_migrations(conn: psycopg.Connection[tuple[object, ...]]) -> list[AppliedMigration]:
    """The tracking table's rows by version (empty when the table does not exist yet)."""
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (TRACKING_TABLE,)).fetchone()
    if exists is None or not exists[0]:
        return []
    rows = conn.execute(
        f"SELECT version, name, checksum, variant, applied_at FROM {TRACKING_TABLE} "  # noqa: S608 - constant
        "ORDER BY version"
    ).fetchall()
    return [
        AppliedMigration(
            version=cast(int, r[0]),
            name=cast(str, r[1]),
            checksum=cast(str, r[2]),
            variant=cast(str, r[3]),
            applied_at=cast(datetime, r[4]),
        )
        for r in rows
    ]


def timescaledb_available(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
    """True when the server has the timescaledb extension installed or installable."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') "
        "OR EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')"
    ).fetchone()
    return bool(row and row[0])


def _migrate_locked(
    conn: psycopg.Connection[tuple[object, ...]],
    files: list[MigrationFile],
    requested: Variant | None,
    dry_run: bool,
) -> MigrationReport:
    applied = applied_migrations(conn)
    todo = pending(files, applied)
    variant = choose_variant(applied, timescaledb_available(conn), requested)
    if not dry_run:
        conn.execute(_CREATE_TRACKING)
        for migration in todo:
            _apply(conn, migration, variant)
    return MigrationReport(variant=variant, applied=tuple(todo), already_applied=tuple(applied))


def _apply(
    conn: psycopg.Connection[tuple[object, ...]], migration: MigrationFile, variant: Variant
) -> None:
    rendered = render(migration.text, variant, migration.file_name)
    with conn.transaction():
        for statement in split_statements(rendered):
            try:
                conn.execute(statement.text.encode("utf-8"))
            except psycopg.Error as exc:
                error = translate(exc, f"{migration.file_name}:{statement.line}")
                if error.retriable:
                    raise error from exc
                raise MigrationError(str(error)) from exc
        conn.execute(
            f"INSERT INTO {TRACKING_TABLE} (version, name, checksum, variant) "  # noqa: S608 - constant
            "VALUES (%s, %s, %s, %s)",
            (migration.version, migration.name, migration.checksum, variant),
        )
