"""The Grafana provisioning and dashboard files: structure, uids, macros, metric names.

Every SQL panel is also executed against a populated database in
tests/integration/grafana/test_dashboard_queries.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from streams.runtime.metrics import AgentMetrics

GRAFANA = Path(__file__).resolve().parents[3] / "ops" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
EXPECTED_UIDS = {
    "tapewire-market",
    "tapewire-strategies-pnl",
    "tapewire-orders-execution",
    "tapewire-risk",
    "tapewire-platform-health",
}
POSTGRES_UID = "tapewire-timescaledb"
PROMETHEUS_UID = "tapewire-prometheus"
_METRIC = re.compile(r"\btapewire_[a-z_]+\b")


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _targets(kind: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(dashboard file, panel title, target) for every target of data source ``kind``."""
    out = []
    for path in DASHBOARDS:
        for panel in _load(path)["panels"]:
            for target in panel["targets"]:
                if target["datasource"]["type"] == kind:
                    out.append((path.name, panel["title"], target))
    return out


def exported_metric_names() -> set[str]:
    """Every sample name the platform's AgentMetrics exposes (counters, histogram series)."""
    metrics = AgentMetrics("probe")
    metrics.events_in("t")
    metrics.events_out("t")
    metrics.processing(0.01)
    metrics.lag("t", 0, 1)
    return {sample.name for family in metrics.registry.collect() for sample in family.samples}


def test_five_dashboards_with_stable_unique_uids() -> None:
    uids = [_load(path)["uid"] for path in DASHBOARDS]
    assert sorted(uids) == sorted(EXPECTED_UIDS)
    for path in DASHBOARDS:
        dashboard = _load(path)
        assert dashboard["title"].startswith("Tapewire: ")
        assert dashboard["panels"], path.name
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids)), path.name


def test_every_panel_uses_a_provisioned_data_source() -> None:
    provisioned = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "tapewire.yaml").read_text(encoding="utf-8")
    )
    uids = {source["uid"]: source["type"] for source in provisioned["datasources"]}
    assert uids == {POSTGRES_UID: "postgres", PROMETHEUS_UID: "prometheus"}
    for path in DASHBOARDS:
        for panel in _load(path)["panels"]:
            for target in panel["targets"]:
                source = target["datasource"]
                assert uids.get(source["uid"]) == source["type"], (path.name, panel["title"])


def test_postgres_data_source_is_timescale_and_read_only_without_secrets() -> None:
    text = (GRAFANA / "provisioning" / "datasources" / "tapewire.yaml").read_text(encoding="utf-8")
    source = next(s for s in yaml.safe_load(text)["datasources"] if s["uid"] == POSTGRES_UID)
    assert source["jsonData"]["timescaledb"] is True
    assert source["user"] == "${TAPEWIRE_GRAFANA_DB_USER}"
    placeholder = "${TAPEWIRE_GRAFANA_DB_PASSWORD}"
    assert source["secureJsonData"]["password"] == placeholder


def test_dashboard_provider_reads_files() -> None:
    text = (GRAFANA / "provisioning" / "dashboards" / "tapewire.yaml").read_text(encoding="utf-8")
    (provider,) = yaml.safe_load(text)["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"]


@pytest.mark.parametrize(
    ("dashboard", "title", "target"),
    _targets("postgres"),
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_sql_panels_follow_the_time_picker(dashboard: str, title: str, target: Any) -> None:
    sql = target["rawSql"]
    assert target["rawQuery"] is True
    follows = "$__timeFilter(" in sql or ("$__timeFrom()" in sql and "$__timeTo()" in sql)
    assert follows, f"{dashboard}: {title!r} ignores the time picker"
    if target["format"] == "time_series":
        assert "$__timeGroupAlias(time, " in sql, f"{dashboard}: {title!r}"


@pytest.mark.parametrize(
    ("dashboard", "title", "target"),
    _targets("prometheus"),
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_prometheus_panels_use_only_exported_metrics(
    dashboard: str, title: str, target: Any
) -> None:
    expr = target["expr"].strip()
    assert expr, f"{dashboard}: {title!r} has an empty expression"
    for opening, closing in ("()", "[]", "{}"):
        assert expr.count(opening) == expr.count(closing), f"{title!r}: unbalanced {opening}"
    used = set(_METRIC.findall(expr))
    assert used, f"{title!r} uses no Tapewire metric"
    assert used <= exported_metric_names(), f"{title!r} uses {used - exported_metric_names()}"


def test_platform_health_covers_every_metric_family() -> None:
    used = {m for _, _, t in _targets("prometheus") for m in _METRIC.findall(t["expr"])}
    assert {
        "tapewire_events_in_total",
        "tapewire_events_out_total",
        "tapewire_errors_total",
        "tapewire_dead_letters_total",
        "tapewire_processing_seconds_bucket",
        "tapewire_consumer_lag",
    } <= used
