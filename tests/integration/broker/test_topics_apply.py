"""`tapewire topics apply` against a real broker: idempotent, and drift is reported, not fixed."""

from __future__ import annotations

import pytest
from streams.cli.main import main
from streams.dev.session import StackSession
from streams.topics.admin import (
    admin_client,
    apply_topics,
    create_topics,
    observe_topics,
    plan_topics,
)
from streams.topics.spec import load_topics


def test_apply_creates_every_topic_then_is_a_no_op(stack: StackSession, unique: str) -> None:
    catalog = load_topics()

    first = apply_topics(stack.bootstrap_servers, catalog, unique)
    second = apply_topics(stack.bootstrap_servers, catalog, unique)

    assert all(plan.create for plan in first)
    assert all(plan.in_sync for plan in second), [p.physical for p in second if not p.in_sync]
    observed = observe_topics(admin_client(stack.bootstrap_servers), [p.physical for p in first])
    for spec in catalog:
        topic = observed[f"{unique}{spec.name}"]
        assert topic.partitions == spec.partitions
        assert topic.config("cleanup.policy") == spec.cleanup_policy
        assert topic.config("retention.ms") == str(spec.retention_ms)


def test_apply_reports_drift_it_cannot_fix_and_keeps_the_topic(
    stack: StackSession, unique: str
) -> None:
    catalog = load_topics()
    tick = f"{unique}md.tick"  # wants 3 partitions, delete, 7 days
    control = f"{unique}system.control"  # wants 1 partition, compact, forever
    create_topics(stack.bootstrap_servers, {tick: 1}, {"cleanup.policy": "compact"})
    create_topics(stack.bootstrap_servers, {control: 1}, {"retention.ms": "60000"})

    plans = {p.physical: p for p in apply_topics(stack.bootstrap_servers, catalog, unique)}
    again = {p.physical: p for p in plan_topics(stack.bootstrap_servers, catalog, unique)}

    assert {(d.field, d.actual) for d in plans[tick].drift} == {
        ("partitions", "1"),
        ("cleanup.policy", "compact"),
    }
    assert {d.field for d in plans[control].drift} == {"cleanup.policy"}
    assert plans[control].set_configs == {"retention.ms": "-1"}  # longer retention is safe
    assert again[tick].drift == plans[tick].drift  # still there: nothing was destroyed
    assert not again[control].set_configs
    observed = observe_topics(admin_client(stack.bootstrap_servers), [tick])[tick]
    assert observed.partitions == 1
    assert sum(not p.in_sync for p in again.values()) == 2


def test_cli_apply_list_describe(
    stack: StackSession,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TAPEWIRE_BOOTSTRAP_SERVERS", stack.bootstrap_servers)
    monkeypatch.setenv("TAPEWIRE_TOPIC_PREFIX", unique)
    topics = len(load_topics())

    assert main(["topics", "list"]) == 0
    assert f"0 of {topics} topics exist" in capsys.readouterr().out
    assert main(["topics", "apply"]) == 0
    assert f"{topics} created" in capsys.readouterr().out
    assert main(["topics", "apply"]) == 0
    assert f"{topics} unchanged, 0 with drift" in capsys.readouterr().out
    assert main(["topics", "list"]) == 0
    assert f"{topics} of {topics} topics exist" in capsys.readouterr().out
    assert main(["topics", "describe", "position.snapshot"]) == 0
    described = capsys.readouterr().out
    assert f"{unique}position.snapshot" in described
    assert "in sync" in described
