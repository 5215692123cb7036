"""docker-compose.yml: valid against the Compose specification, and consistent with the CLI,
the agents, Prometheus, Grafana provisioning and .env.example. No Docker engine is needed."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from streams.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def _image_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: svc
        for name, svc in compose["services"].items()
        if str(svc.get("image", "")).startswith("${TAPEWIRE_IMAGE")
    }


def test_compose_file_matches_the_compose_specification() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(COMPOSE),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_redpanda_follows_the_single_broker_quickstart(compose: dict[str, Any]) -> None:
    redpanda = compose["services"]["redpanda-0"]
    command = " ".join(redpanda["command"])
    for flag in (
        "--mode dev-container",
        "--smp 1",
        "internal://0.0.0.0:9092,external://0.0.0.0:19092",
        "--schema-registry-addr internal://0.0.0.0:8081,external://0.0.0.0:18081",
    ):
        assert flag in command
    assert {"18081:18081", "19092:19092", "19644:9644"} <= set(redpanda["ports"])
    assert "8080:8080" in compose["services"]["console"]["ports"]
    assert "3000:3000" in compose["services"]["grafana"]["ports"]
    assert "9090:9090" in compose["services"]["prometheus"]["ports"]
    image = compose["services"]["timescaledb"]["image"]
    assert re.fullmatch(r"timescale/timescaledb:\d+\.\d+\.\d+-pg\d+", image), "pinned tag"


def test_every_tapewire_command_exists_in_the_cli(compose: dict[str, Any]) -> None:
    parser = build_parser()
    services = _image_services(compose)
    assert len(services) >= 11
    for name, svc in services.items():
        command = svc["command"]
        if svc.get("entrypoint") == ["sh", "-c"]:
            lines = [part.strip() for part in command[0].split("&&")]
            argvs = [line.split()[1:] for line in lines]
            assert all(line.startswith("tapewire ") for line in lines), name
        else:
            argvs = [list(command)]
        for argv in argvs:
            args = parser.parse_args(argv)
            assert callable(args.handler), f"{name}: {argv}"
            if argv[0] == "agent":
                module = importlib.import_module(f"streams.agents.{argv[1]}")
                assert hasattr(module, "AGENT"), f"{name}: streams.agents.{argv[1]} has no AGENT"


def test_dependencies_converge(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, svc in services.items():
        for dep, spec in (svc.get("depends_on") or {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in services[dep], f"{dep} needs a healthcheck for {name}"
            if spec["condition"] == "service_completed_successfully":
                assert services[dep].get("restart") == "no", f"{dep} must be one-shot"
    for name in _image_services(compose):
        if name == "init":
            continue
        deps = services[name]["depends_on"]
        assert deps["init"]["condition"] == "service_completed_successfully", name


def test_every_variable_is_in_env_example_and_no_secret_is_committed() -> None:
    text = COMPOSE.read_text()
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert used <= documented, f"missing from .env.example: {sorted(used - documented)}"
    for line in example.splitlines():
        if "PASSWORD=" in line:
            assert line.strip().endswith("="), f"a secret has a value in .env.example: {line}"
    assert not (ROOT / ".env").exists() or ".env" in (ROOT / ".gitignore").read_text()


def test_prometheus_scrapes_every_agent(compose: dict[str, Any]) -> None:
    config = yaml.safe_load((ROOT / "ops/prometheus/prometheus.yml").read_text())
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "tapewire-agents")
    targets = {t.split(":")[0] for t in job["static_configs"][0]["targets"]}
    agents = {n for n in _image_services(compose) if n != "init"}
    assert targets == agents


def test_grafana_provisioning_is_mounted(compose: dict[str, Any]) -> None:
    grafana = compose["services"]["grafana"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in grafana["volumes"]}
    for source in mounts.values():
        assert (ROOT / source).is_dir(), f"{source} is mounted but does not exist"
    provider = yaml.safe_load(
        (ROOT / "ops/grafana/provisioning/dashboards/tapewire.yaml").read_text()
    )["providers"][0]
    assert mounts[provider["options"]["path"]] == "./ops/grafana/dashboards"
    datasources = (ROOT / "ops/grafana/provisioning/datasources/tapewire.yaml").read_text()
    for variable in set(re.findall(r"\$\{([A-Z0-9_]+)\}", datasources)):
        assert variable in grafana["environment"], f"grafana needs {variable}"
