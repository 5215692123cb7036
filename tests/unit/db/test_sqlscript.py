"""Migration files: naming, variant sections, statement splitting, and the Timescale path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streams.db.errors import MigrationScriptError
from streams.db.sqlscript import Variant, discover, read_migration, render, split_statements
from streams.resources import resource_dir

HYPERTABLES = (
    "ticks",
    "bars",
    "indicator_values",
    "intents",
    "risk_decisions",
    "risk_violations",
    "order_events",
    "fills",
    "positions",
    "pnl",
    "dead_letters",
)
COMPRESSED = (
    "ticks",
    "indicator_values",
    "bars",
    "intents",
    "risk_decisions",
    "order_events",
    "fills",
    "positions",
)
BAR_VIEWS = ("bars_1m", "bars_5m", "bars_1h", "bars_1d")
_TIMESCALE_ONLY = re.compile(
    r"create_hypertable|time_bucket|add_\w+_policy|timescaledb\.|CREATE EXTENSION", re.IGNORECASE
)


def _statements(variant: Variant) -> list[str]:
    out: list[str] = []
    for migration in discover(resource_dir("sql")):
        rendered = render(migration.text, variant, migration.file_name)
        out.extend(" ".join(s.text.split()) for s in split_statements(rendered))
    return out


def test_render_keeps_only_the_chosen_variant() -> None:
    text = (
        "CREATE TABLE a (x int);\n"
        "-- tapewire:if timescaledb\n"
        "SELECT create_hypertable('a', 'x');\n"
        "-- tapewire:else\n"
        "CREATE INDEX a_x ON a (x);\n"
        "-- tapewire:end\n"
        "SELECT 1;\n"
    )
    timescale = render(text, "timescaledb")
    plain = render(text, "postgresql")
    assert "create_hypertable" in timescale
    assert "CREATE INDEX" not in timescale
    assert "create_hypertable" not in plain
    assert "CREATE INDEX" in plain
    # skipped lines are blanked, not removed: line numbers still point into the file
    assert len(timescale.splitlines()) == len(plain.splitlines()) == len(text.splitlines())
    assert plain.splitlines()[6] == "SELECT 1;"


def test_render_section_for_postgresql_only() -> None:
    text = "-- tapewire:if postgresql\nCREATE VIEW v AS SELECT 1;\n-- tapewire:end\n"
    assert "CREATE VIEW" in render(text, "postgresql")
    assert "CREATE VIEW" not in render(text, "timescaledb")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("-- tapewire:if timescaledb\nSELECT 1;\n", "never closed"),
        ("-- tapewire:else\n", "without tapewire:if"),
        ("-- tapewire:end\n", "without tapewire:if"),
        ("-- tapewire:if timescaledb\n-- tapewire:if postgresql\n", "do not nest"),
        ("-- tapewire:if oracle\n-- tapewire:end\n", "one of timescaledb, postgresql"),
        ("-- tapewire:unless timescaledb\n", "unknown directive"),
        ("-- tapewire:if timescaledb\n-- tapewire:else\n-- tapewire:else\n", "without"),
    ],
)
def test_malformed_sections_are_refused_with_file_and_line(text: str, problem: str) -> None:
    with pytest.raises(MigrationScriptError, match=problem) as info:
        render(text, "postgresql", "0009_bad.sql")
    assert str(info.value).startswith("0009_bad.sql:")
    assert info.value.line >= 1


def test_split_statements_respects_quotes_comments_and_dollar_bodies() -> None:
    text = (
        "-- leading comment; not a statement\n"
        "CREATE TABLE t (note text DEFAULT 'a;b''c');\n"
        "/* block; /* nested; */ still comment */\n"
        'SELECT "odd;name" FROM t;\n'
        "DO $$ BEGIN PERFORM 1; PERFORM 2; END $$;\n"
        "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n"
        "SELECT 3\n"
    )
    statements = split_statements(text)
    assert [s.text.split()[0] for s in statements] == ["CREATE", "SELECT", "DO", "CREATE", "SELECT"]
    assert statements[0].text.endswith("'a;b''c')")
    assert statements[2].text == "DO $$ BEGIN PERFORM 1; PERFORM 2; END $$"
    assert statements[0].line == 2
    assert statements[4].line == 7


@pytest.mark.parametrize("text", ["SELECT 'open", "SELECT $$ open", "/* open", 'SELECT "open'])
def test_unterminated_quotes_are_refused(text: str) -> None:
    with pytest.raises(MigrationScriptError, match="unterminated"):
        split_statements(text)


def test_file_names_must_be_numbered(tmp_path: Path) -> None:
    bad = tmp_path / "create_things.sql"
    bad.write_text("SELECT 1;\n", encoding="utf-8")
    with pytest.raises(MigrationScriptError, match=r"NNNN_lowercase_words\.sql"):
        read_migration(bad)


def test_duplicate_versions_are_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;\n", encoding="utf-8")
    (tmp_path / "0001_b.sql").write_text("SELECT 2;\n", encoding="utf-8")
    with pytest.raises(MigrationScriptError, match=r"also used by 0001_a\.sql"):
        discover(tmp_path)


def test_repository_migrations_are_numbered_in_order() -> None:
    migrations = discover(resource_dir("sql"))
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert all(len(m.checksum) == 64 for m in migrations)


def test_timescale_variant_creates_every_hypertable_and_policy() -> None:
    statements = _statements("timescaledb")
    joined = "\n".join(statements)
    assert "CREATE EXTENSION IF NOT EXISTS timescaledb" in statements
    for table in HYPERTABLES:
        assert re.search(rf"create_hypertable\(\s?'{table}', by_range\('time'", joined), table
    for table in COMPRESSED:
        assert re.search(
            rf"ALTER TABLE {table} SET \( timescaledb\.compress, "
            r"timescaledb\.compress_segmentby = 'instrument'",
            joined,
        ), table
        assert re.search(rf"add_compression_policy\(\s?'{table}'", joined), table
    for table in ("ticks", "indicator_values", "dead_letters", "bars_1m"):
        assert re.search(rf"add_retention_policy\(\s?'{table}'", joined), table


def test_timescale_variant_builds_continuous_aggregates_inside_a_transaction() -> None:
    caggs = [s for s in _statements("timescaledb") if s.startswith("CREATE MATERIALIZED VIEW")]
    assert [s.split()[3] for s in caggs] == list(BAR_VIEWS)
    for statement in caggs:
        assert "WITH (timescaledb.continuous, timescaledb.materialized_only = false)" in statement
        # WITH NO DATA is what lets the statement run inside the migration's transaction
        assert statement.endswith("WITH NO DATA")
        assert "time_bucket(" in statement
    policies = [s for s in _statements("timescaledb") if "add_continuous_aggregate_policy" in s]
    assert sorted(re.findall(r"policy\('(\w+)'", " ".join(policies))) == sorted(BAR_VIEWS)


def test_plain_variant_has_the_same_views_and_no_timescale_statement() -> None:
    statements = _statements("postgresql")
    for statement in statements:
        assert not _TIMESCALE_ONLY.search(statement), statement
    views = [s.split()[2] for s in statements if s.startswith("CREATE VIEW")]
    assert set(BAR_VIEWS) <= set(views)
    assert {"daily_pnl_by_strategy", "fills_with_slippage", "exposure_over_time"} <= set(views)


def test_both_variants_create_the_same_tables() -> None:
    def tables(variant: Variant) -> list[str]:
        return [s.split()[2] for s in _statements(variant) if s.startswith("CREATE TABLE")]

    assert tables("timescaledb") == tables("postgresql")
    assert set(HYPERTABLES) | {"orders"} == set(tables("postgresql"))


def test_no_secret_in_committed_sql() -> None:
    for migration in discover(resource_dir("sql")):
        for statement in split_statements(render(migration.text, "timescaledb")):
            assert not re.search(r"\bPASSWORD\s+'", statement.text, re.IGNORECASE)
            assert not re.search(r"\bLOGIN\b", statement.text.replace("NOLOGIN", ""))


def test_hypertable_unique_keys_hold_time_and_the_compression_segment() -> None:
    creates = {s.split()[2]: s for s in _statements("timescaledb") if s.startswith("CREATE TABLE")}
    for table in HYPERTABLES:
        (key,) = re.findall(r"UNIQUE \(([^)]*)\)", creates[table])
        columns = [c.strip() for c in key.split(",")]
        # TimescaleDB refuses unique indexes without the partitioning column
        assert "time" in columns, table
        assert {"event_id", "run_id"} <= set(columns), table
        if table in COMPRESSED:
            assert "instrument" in columns, table
