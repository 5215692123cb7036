"""Metrics with full names, the /metrics, /healthz and /readyz server, JSON logs."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from streams.runtime.health import HealthServer, HealthState
from streams.runtime.logs import JsonFormatter
from streams.runtime.metrics import AgentMetrics


def test_metric_names_and_labels() -> None:
    metrics = AgentMetrics("risk_gate")
    metrics.events_in("p-strategy.intent", 3)
    metrics.events_out("p-risk.decision")
    metrics.error()
    metrics.dead_letter()
    metrics.processing(0.004, events=4)
    metrics.lag("p-strategy.intent", 2, 17)
    text = metrics.render().decode()
    assert 'tapewire_events_in_total{agent="risk_gate",topic="p-strategy.intent"} 3.0' in text
    assert 'tapewire_events_out_total{agent="risk_gate",topic="p-risk.decision"} 1.0' in text
    assert 'tapewire_errors_total{agent="risk_gate"} 1.0' in text
    assert 'tapewire_dead_letters_total{agent="risk_gate"} 1.0' in text
    assert 'tapewire_processing_seconds_count{agent="risk_gate"} 4.0' in text
    assert (
        'tapewire_consumer_lag{agent="risk_gate",partition="2",topic="p-strategy.intent"} 17.0'
        in text
    )


def test_agents_in_one_process_do_not_collide() -> None:
    first, second = AgentMetrics("a"), AgentMetrics("a")
    first.error()
    assert second.value("tapewire_errors_total") == 0


@pytest.fixture
def server() -> Iterator[tuple[HealthServer, HealthState, AgentMetrics]]:
    metrics, health = AgentMetrics("probe"), HealthState()
    running = HealthServer(metrics, health, port=0, host="127.0.0.1").start()
    try:
        yield running, health, metrics
    finally:
        running.stop()


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_health_endpoints_follow_the_agent_state(
    server: tuple[HealthServer, HealthState, AgentMetrics],
) -> None:
    running, health, metrics = server
    assert _get(running.port, "/healthz")[0] == 200
    code, body = _get(running.port, "/readyz")
    assert code == 503
    assert json.loads(body)["assigned"] is False
    health.assigned(True)
    assert _get(running.port, "/readyz")[0] == 503, "assigned but not yet recovered"
    health.recovered()
    assert _get(running.port, "/readyz")[0] == 200
    health.stopping()
    assert _get(running.port, "/readyz")[0] == 503
    metrics.dead_letter()
    code, text = _get(running.port, "/metrics")
    assert code == 200
    assert 'tapewire_dead_letters_total{agent="probe"} 1.0' in text
    assert _get(running.port, "/nope")[0] == 404


def test_json_logs_carry_the_record_context() -> None:
    record = logging.LogRecord(
        "x", logging.WARNING, __file__, 1, "dead-lettered: %s", ("boom",), None
    )
    record.__dict__.update({"agent": "a", "topic": "t", "partition": 2, "offset": 9})
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "dead-lettered: boom"
    assert (line["agent"], line["topic"], line["partition"], line["offset"]) == ("a", "t", 2, 9)
    assert line["level"] == "WARNING"
