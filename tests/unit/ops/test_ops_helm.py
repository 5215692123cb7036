"""helm/tapewire rendered with a real Helm (v3, from the npm registry's kubectl/helm layer),
linted, and validated against the Kubernetes schemas (kubernetes-validate, strict).

The chart declares an optional dependency on the official Redpanda chart; its repository is
not reachable from these machines, so the chart is rendered from a copy without that entry.
With ``redpanda.enabled=false`` (the default) the dependency contributes nothing to the output.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
CHART = ROOT / "helm" / "tapewire"
K8S_VERSION = "1.31.0"
BASE_VALUES = ["--set", "database.url=postgresql://tapewire:secret@timescaledb:5432/tapewire"]


@pytest.fixture(scope="module")
def chart_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("chart") / "tapewire"
    shutil.copytree(CHART, target)
    meta = yaml.safe_load((target / "Chart.yaml").read_text())
    deps = meta.pop("dependencies")
    assert deps == [
        {
            "name": "redpanda",
            "version": deps[0]["version"],
            "repository": "https://charts.redpanda.com",
            "condition": "redpanda.enabled",
        }
    ]
    (target / "Chart.yaml").write_text(yaml.safe_dump(meta))
    return target


def _helm(helm: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([helm, *args], capture_output=True, text=True, check=False)


def _render(helm: str, chart: Path, *values: str) -> list[dict[str, Any]]:
    result = _helm(helm, "template", "tw", str(chart), "--namespace", "trading", *values)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def _validate(docs: list[dict[str, Any]], tmp_path: Path) -> None:
    core = [d for d in docs if d["apiVersion"] != "monitoring.coreos.com/v1"]
    path = tmp_path / "rendered.yaml"
    path.write_text(yaml.safe_dump_all(core))
    result = subprocess.run(
        [sys.executable, "-m", "kubernetes_validate", "--strict", "-k", K8S_VERSION, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_chart_lints(helm_bin: str, chart_copy: Path) -> None:
    result = _helm(helm_bin, "lint", "--strict", str(chart_copy), *BASE_VALUES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_default_render_is_valid_kubernetes(
    helm_bin: str, chart_copy: Path, tmp_path: Path
) -> None:
    docs = _render(helm_bin, chart_copy, *BASE_VALUES)
    _validate(docs, tmp_path)
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    agents = {n for n, s in compose["services"].items() if s.get("command", [None])[0] == "agent"}
    assert {name.removeprefix("tw-tapewire-") for name in deployments} == agents
    for deployment in deployments.values():
        pod = deployment["spec"]["template"]
        container = pod["spec"]["containers"][0]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert pod["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
        assert container["args"][0] == "agent"
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    job = next(d for d in docs if d["kind"] == "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert (
        "tapewire topics apply && tapewire migrate"
        in job["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    )


def test_external_redpanda_with_sasl_and_service_monitor(
    helm_bin: str, chart_copy: Path, tmp_path: Path
) -> None:
    docs = _render(
        helm_bin,
        chart_copy,
        *BASE_VALUES,
        "--set",
        "kafka.bootstrapServers=rp-0.example:9092\\,rp-1.example:9092",
        "--set",
        "kafka.securityProtocol=SASL_SSL",
        "--set",
        "kafka.sasl.mechanism=SCRAM-SHA-512",
        "--set",
        "kafka.sasl.username=tapewire",
        "--set",
        "kafka.sasl.password=hunter2",
        "--set",
        "serviceMonitor.enabled=true",
        "--set",
        "agents.strategy.replicas=3",
    )
    _validate(docs, tmp_path)
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    assert config["TAPEWIRE_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert "hunter2" not in yaml.safe_dump(config), "the password belongs in the Secret"
    secret = next(d for d in docs if d["kind"] == "Secret")
    assert secret["stringData"]["sasl-password"] == "hunter2"
    assert any(d["kind"] == "ServiceMonitor" for d in docs)
    strategy = next(
        d
        for d in docs
        if d["kind"] == "Deployment" and d["metadata"]["name"] == "tw-tapewire-strategy"
    )
    assert strategy["spec"]["replicas"] == 3


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("agents.pnl.replicas=-1", "agents.pnl.replicas"),
        ("kafka.securityProtocol=TLS", "kafka.securityProtocol"),
        ("profile=fast", "profile"),
        ("agents.pnl.agent=not_an_agent", "agents.pnl.agent"),
        ("metricsPort=80", "metricsPort"),
        ("unknownKey=1", "unknownKey"),
    ],
)
def test_bad_values_fail_at_install(
    helm_bin: str, chart_copy: Path, override: str, message: str
) -> None:
    result = _helm(helm_bin, "template", "tw", str(chart_copy), *BASE_VALUES, "--set", override)
    assert result.returncode != 0
    assert message.rsplit(".", maxsplit=1)[-1] in result.stderr


def test_database_url_is_required(helm_bin: str, chart_copy: Path) -> None:
    result = _helm(helm_bin, "template", "tw", str(chart_copy))
    assert result.returncode != 0
    assert "database.url" in result.stderr


def test_notes_say_how_to_reach_grafana_and_check_lag(chart_copy: Path) -> None:
    notes = (chart_copy / "templates" / "NOTES.txt").read_text()
    assert "Grafana" in notes
    assert "tapewire status" in notes
