"""Every SQL panel of every dashboard, run against a database the sink populated.

The database is filled through the sink's own row mapping and writer from realistic sample
events; Grafana's macros are expanded for a real time range (as a data source without
``timescaledb: true`` would, since the embedded PostgreSQL has no time_bucket) and each
query must return rows. Dashboard variables take their current value, as on first load.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from streams.db.grafana_macros import TimeRange, expand
from streams.db.migrations import migrate
from streams.resources import resource_dir
from streams.sink.rows import rows_for
from streams.sink.samples import sample_events
from streams.sink.writer import EventRows, SinkWriter

DASHBOARDS = Path(__file__).resolve().parents[3] / "ops" / "grafana" / "dashboards"
START = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
TIME_RANGE = TimeRange(START - timedelta(minutes=30), START + timedelta(minutes=45))
INTERVAL = timedelta(minutes=1)


def _sql_targets() -> list[tuple[str, str, str, dict[str, str]]]:
    """(dashboard, panel title, raw SQL, variables) for every PostgreSQL query."""
    out: list[tuple[str, str, str, dict[str, str]]] = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        variables = {v["name"]: str(v["current"]["value"]) for v in dashboard["templating"]["list"]}
        for variable in dashboard["templating"]["list"]:
            if variable["datasource"]["type"] == "postgres":
                out.append((path.stem, f"variable {variable['name']}", variable["query"], {}))
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                if target["datasource"]["type"] == "postgres":
                    out.append((path.stem, panel["title"], target["rawSql"], variables))
    return out


def _interpolate(sql: str, variables: dict[str, str]) -> str:
    for name, value in variables.items():
        sql = re.sub(rf"\$\{{{name}\}}|\${name}\b", value, sql)
    return sql


@pytest.fixture(scope="module")
def populated(stack: Any) -> Any:
    """A migrated database on the session server holding ten minutes of sample activity."""
    server = stack.database_url
    name = f"grafana_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    url = server.rsplit("/", 1)[0] + f"/{name}"
    migrate(url, resource_dir("sql"))
    with SinkWriter(url) as writer:
        batch = [EventRows(tuple(rows_for(e))) for e in sample_events(START, minutes=10)]
        result = writer.write(batch)
    assert not result.rejected
    yield url
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_there_are_sql_panels_on_every_database_dashboard() -> None:
    dashboards = {d for d, _, _, _ in _sql_targets()}
    assert dashboards == {
        "market",
        "strategies-and-pnl",
        "orders-and-execution",
        "risk",
        "platform-health",
    }


@pytest.mark.parametrize(
    ("dashboard", "title", "sql", "variables"),
    _sql_targets(),
    ids=[f"{d}: {t}" for d, t, _, _ in _sql_targets()],
)
def test_panel_query_returns_rows(
    populated: str, dashboard: str, title: str, sql: str, variables: dict[str, str]
) -> None:
    query = expand(_interpolate(sql, variables), TIME_RANGE, INTERVAL, timescaledb=False)
    assert "$" not in query.replace("$$", ""), f"unexpanded variable in {query}"
    with psycopg.connect(populated) as conn:
        conn.execute("SET ROLE tapewire_analyst")  # what Grafana's read-only login can do
        rows = conn.execute(query.encode("utf-8")).fetchall()
    assert rows, f"{dashboard}: {title!r} returned no rows"


def test_time_filter_excludes_data_outside_the_range(populated: str) -> None:
    later = TimeRange(START + timedelta(days=2), START + timedelta(days=3))
    sql = next(s for _, t, s, _ in _sql_targets() if t == "Average trade price by instrument")
    query = expand(_interpolate(sql, {"run_id": "live"}), later, INTERVAL)
    with psycopg.connect(populated) as conn:
        assert conn.execute(query.encode("utf-8")).fetchall() == []
