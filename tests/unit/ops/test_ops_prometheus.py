"""Prometheus configuration and alert rules, checked by promtool (Debian's prometheus package)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
PROMETHEUS = ROOT / "ops" / "prometheus"


def test_promtool_checks_the_config(promtool_bin: str, tmp_path: Path) -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    # the container path of the rules file, rewritten to this checkout for promtool
    config["rule_files"] = [str(PROMETHEUS / "alerts.yml")]
    local = tmp_path / "prometheus.yml"
    local.write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [promtool_bin, "check", "config", str(local)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_checks_the_rules(promtool_bin: str) -> None:
    result = subprocess.run(
        [promtool_bin, "check", "rules", str(PROMETHEUS / "alerts.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 5 rules found" in result.stdout


def test_alerts_cover_lag_dead_letters_agent_down_and_risk_halt() -> None:
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"][0]["rules"]
    exprs = {r["alert"]: r["expr"] for r in rules}
    assert "tapewire_consumer_lag" in exprs["TapewireConsumerLagGrowing"]
    assert "tapewire_dead_letters_total" in exprs["TapewireDeadLetters"]
    assert 'up{job="tapewire-agents"}' in exprs["TapewireAgentDown"]
    assert 'tapewire_processor_counter{name="risk_halts_active"}' in exprs["TapewireRiskHaltActive"]
