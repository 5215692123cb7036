"""Which migrations run, on which variant, and what is refused (no database needed)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from streams.db.errors import ChecksumMismatchError, MigrationError
from streams.db.migrations import AppliedMigration, choose_variant, pending
from streams.db.sqlscript import MigrationFile, read_migration

APPLIED_AT = datetime(2024, 1, 2, tzinfo=UTC)


def _file(tmp_path: Path, name: str, body: str = "SELECT 1;\n") -> MigrationFile:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return read_migration(path)


def _applied(migration: MigrationFile, variant: str = "postgresql") -> AppliedMigration:
    return AppliedMigration(
        migration.version, migration.name, migration.checksum, variant, APPLIED_AT
    )


def test_pending_lists_unapplied_files_in_order(tmp_path: Path) -> None:
    first, second, third = (
        _file(tmp_path, "0001_a.sql"),
        _file(tmp_path, "0002_b.sql"),
        _file(tmp_path, "0003_c.sql"),
    )
    assert pending([first, second, third], []) == [first, second, third]
    assert pending([first, second, third], [_applied(first)]) == [second, third]
    assert pending([first, second, third], [_applied(m) for m in (first, second, third)]) == []


def test_an_edited_applied_file_is_refused_naming_file_and_both_checksums(
    tmp_path: Path,
) -> None:
    original = _file(tmp_path, "0001_tables.sql", "CREATE TABLE a (x int);\n")
    recorded = _applied(original)
    edited = _file(tmp_path, "0001_tables.sql", "CREATE TABLE a (x bigint);\n")
    with pytest.raises(ChecksumMismatchError) as info:
        pending([edited], [recorded])
    message = str(info.value)
    assert "0001_tables.sql" in message
    assert original.checksum in message
    assert edited.checksum in message
    assert "new numbered migration" in message


def test_a_migration_missing_from_disk_is_refused(tmp_path: Path) -> None:
    first = _file(tmp_path, "0001_a.sql")
    gone = AppliedMigration(2, "b", "0" * 64, "postgresql", APPLIED_AT)
    with pytest.raises(MigrationError, match="0002_b applied but there is no such file"):
        pending([first], [_applied(first), gone])


def test_variant_detected_on_a_new_database() -> None:
    assert choose_variant([], extension_available=True, requested=None) == "timescaledb"
    assert choose_variant([], extension_available=False, requested=None) == "postgresql"
    assert choose_variant([], extension_available=True, requested="postgresql") == "postgresql"


def test_variant_recorded_by_earlier_migrations_wins(tmp_path: Path) -> None:
    done = [_applied(_file(tmp_path, "0001_a.sql"), "postgresql")]
    # the extension appearing later does not switch a plain database to Timescale halfway
    assert choose_variant(done, extension_available=True, requested=None) == "postgresql"
    with pytest.raises(MigrationError, match="migrated as 'postgresql'"):
        choose_variant(done, extension_available=True, requested="timescaledb")


def test_mixed_or_unknown_recorded_variants_are_refused(tmp_path: Path) -> None:
    a, b = _file(tmp_path, "0001_a.sql"), _file(tmp_path, "0002_b.sql")
    with pytest.raises(MigrationError, match="mixes variants"):
        choose_variant([_applied(a, "postgresql"), _applied(b, "timescaledb")], False, None)
    with pytest.raises(MigrationError, match="unknown variant"):
        choose_variant([_applied(a, "oracle")], False, None)
