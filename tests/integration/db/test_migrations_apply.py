"""Migrations on an empty embedded PostgreSQL: apply, re-apply as a no-op, refuse edits."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest
from streams.cli.main import main
from streams.db.errors import ChecksumMismatchError, MigrationError
from streams.db.migrations import TRACKING_TABLE, migrate
from streams.resources import resource_dir
from streams.sink.tables import TABLES

VIEWS = (
    "bars_1m",
    "bars_5m",
    "bars_1h",
    "bars_1d",
    "daily_pnl_by_strategy",
    "fills_with_slippage",
    "exposure_over_time",
)


def _columns(url: str, table: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
            (table,),
        ).fetchall()
    return [str(r[0]) for r in rows]


def test_migrations_apply_once_and_rerun_as_a_no_op(fresh_database: str) -> None:
    first = migrate(fresh_database, resource_dir("sql"))
    assert first.variant == "postgresql"  # the embedded server has no timescaledb
    assert [m.version for m in first.applied] == [1, 2, 3, 4, 5]
    second = migrate(fresh_database, resource_dir("sql"))
    assert second.applied == ()
    assert [m.version for m in second.already_applied] == [1, 2, 3, 4, 5]
    with psycopg.connect(fresh_database) as conn:
        rows = conn.execute(
            f"SELECT version, name, variant, length(checksum) FROM {TRACKING_TABLE} "  # noqa: S608
            "ORDER BY version"
        ).fetchall()
    assert rows[0] == (1, "market_data", "postgresql", 64)
    assert len(rows) == 5


def test_tables_match_the_sink_and_views_exist(fresh_database: str) -> None:
    migrate(fresh_database, resource_dir("sql"))
    for spec in TABLES.values():
        assert set(spec.columns) == set(_columns(fresh_database, spec.name)), spec.name
    for view in VIEWS:
        assert _columns(fresh_database, view), view
    bars = _columns(fresh_database, "bars_1m")
    assert bars == [
        "time",
        "instrument",
        "run_id",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "notional",
        "vwap",
        "trade_count",
    ]
    for view in ("bars_5m", "bars_1h", "bars_1d"):
        assert _columns(fresh_database, view) == bars


def test_an_edited_applied_migration_is_refused(fresh_database: str, tmp_path: Path) -> None:
    sql_dir = tmp_path / "sql"
    shutil.copytree(resource_dir("sql"), sql_dir)
    migrate(fresh_database, sql_dir)
    edited = sql_dir / "0002_trading.sql"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n-- an innocent edit\n", "utf-8")
    with pytest.raises(ChecksumMismatchError, match=r"0002_trading\.sql was applied with checksum"):
        migrate(fresh_database, sql_dir)


def test_a_failing_migration_leaves_nothing_behind(fresh_database: str, tmp_path: Path) -> None:
    sql_dir = tmp_path / "sql"
    sql_dir.mkdir()
    (sql_dir / "0001_ok.sql").write_text("CREATE TABLE ok_table (x int);\n", "utf-8")
    (sql_dir / "0002_broken.sql").write_text(
        "CREATE TABLE half_done (x int);\nSELECT no_such_function();\n", "utf-8"
    )
    with pytest.raises(MigrationError, match=r"0002_broken\.sql:2: .*no_such_function"):
        migrate(fresh_database, sql_dir)
    with psycopg.connect(fresh_database) as conn:
        assert conn.execute("SELECT to_regclass('ok_table') IS NOT NULL").fetchone() == (True,)
        assert conn.execute("SELECT to_regclass('half_done') IS NULL").fetchone() == (True,)
        versions = conn.execute(f"SELECT version FROM {TRACKING_TABLE}").fetchall()  # noqa: S608
    assert versions == [(1,)]


def test_cli_migrate_and_dry_run(fresh_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "--database-url", fresh_database, "--dry-run"]) == 0
    assert "would apply 0001_market_data.sql" in capsys.readouterr().out
    assert _columns(fresh_database, "ticks") == []
    assert main(["migrate", "--database-url", fresh_database]) == 0
    assert "applied 0005_analyst_access.sql" in capsys.readouterr().out
    assert main(["migrate", "--database-url", fresh_database]) == 0
    assert "up to date: 5 migrations already applied" in capsys.readouterr().out


def test_cli_reports_an_unreachable_database(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql://nobody:secret@127.0.0.1:1/none"
    assert main(["migrate", "--database-url", url]) == 1
    err = capsys.readouterr().err
    assert "DatabaseUnavailableError" in err
    assert "secret" not in err


def test_analyst_role_reads_but_cannot_write(fresh_database: str) -> None:
    migrate(fresh_database, resource_dir("sql"))
    with psycopg.connect(fresh_database) as conn:
        conn.execute("SET ROLE tapewire_analyst")
        for relation in (*TABLES, *VIEWS):
            conn.execute(f"SELECT count(*) FROM {relation}")  # noqa: S608 - fixed names
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM ticks")
        conn.rollback()
        conn.execute("SET ROLE tapewire_analyst")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE sneaky (x int)")
