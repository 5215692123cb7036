"""Which agent a replayed group belongs to, and the printed instructions to run the replay."""

from __future__ import annotations

import pytest
from streams.errors import ConfigError
from streams.replay.agents import ReplayAgent, resolve_agent, start_instructions
from streams.settings import Settings, load_settings


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("TAPEWIRE_SINK_GROUP_ID", raising=False)
    return load_settings(topic_prefix="p-")


def test_a_group_named_after_an_agent_infers_it(settings: Settings) -> None:
    agent = resolve_agent(settings, "p-running_totals")
    assert agent == ReplayAgent(
        "running_totals", "running_totals", "stateful", "sample.snapshot", inferred=True
    )
    assert "stateful" in agent.describe()
    assert "inferred" in agent.describe()


def test_the_sink_group_and_unknown_groups(settings: Settings) -> None:
    sink = resolve_agent(settings, "p-tapewire-sink")
    assert sink is not None
    assert sink.kind == "sink"
    assert resolve_agent(settings, "p-totals") is None, "no such agent module"
    assert resolve_agent(settings, "running_totals") is None, "prefix missing"
    assert resolve_agent(settings, "p-../etc") is None
    assert resolve_agent(settings, "p-__init__") is None, "a module that is not an agent"


def test_agent_option_wins_and_may_override_the_snapshot_topic(settings: Settings) -> None:
    agent = resolve_agent(
        settings, "anything", agent="running_totals", snapshot_topic="other.snapshot"
    )
    assert agent is not None
    assert (agent.kind, agent.snapshot_topic, agent.inferred) == (
        "stateful",
        "other.snapshot",
        False,
    )
    sink = resolve_agent(settings, "anything", agent="sink")
    assert sink is not None
    assert sink.kind == "sink"
    with pytest.raises(ConfigError):
        resolve_agent(settings, "g", agent="no_such_agent_module")


def test_instructions_for_a_stateful_agent_with_a_custom_group(settings: Settings) -> None:
    agent = resolve_agent(settings, "g", agent="running_totals")
    text = start_instructions(agent, "g", settings, run_id="r1", run_id_supported=False)
    assert "TAPEWIRE_ORDERS_REPLAY_MODE=true tapewire agent running_totals" in text
    assert "--topic-prefix p-" in text
    assert "--group g" in text
    assert "TAPEWIRE_RUN_ID" not in text, "not offered until the runtime honours it"
    assert "duplicates" in text
    supported = start_instructions(agent, "g", settings, run_id="r1", run_id_supported=True)
    assert "TAPEWIRE_RUN_ID=r1" in supported
    assert "tapewire.run_id=r1" in supported


def test_instructions_for_the_sink_and_an_inferred_group(settings: Settings) -> None:
    sink = resolve_agent(settings, "p-tapewire-sink")
    text = start_instructions(sink, "p-tapewire-sink", settings, run_id="r", run_id_supported=True)
    assert "tapewire agent sink --topic-prefix p-" in text
    assert "--group" not in text
    assert "TAPEWIRE_SINK_RUN_ID" in text
    inferred = resolve_agent(settings, "p-running_totals")
    plain = start_instructions(
        inferred, "p-running_totals", settings, run_id="r", run_id_supported=False
    )
    assert "--group" not in plain
    unknown = start_instructions(None, "g", settings, run_id="r", run_id_supported=False)
    assert "tapewire agent <agent> --topic-prefix p- --group g" in unknown
