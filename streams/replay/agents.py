"""Which agent a replayed consumer group belongs to, and how to start it for the replay.

Hosts name their group ``<topic prefix><agent name>`` unless ``--group`` says otherwise
(:class:`streams.runtime.host_base.HostContext`); the sink uses ``<topic prefix>`` +
``TAPEWIRE_SINK_GROUP_ID``. ``tapewire replay`` infers the agent from a group that follows
that convention, or takes it from ``--agent``. A stateful agent (one with a snapshot topic)
gets its snapshots rewritten (:mod:`streams.replay.state`); for a stateless agent and the sink
only the group's offsets move.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Literal

from streams.cli.agent import load_spec
from streams.errors import ConfigError
from streams.runtime.agent_spec import AgentSpec
from streams.settings import Settings
from streams.sink.config import load_sink_settings

AgentKind = Literal["stateful", "stateless", "sink"]

RUN_ID_HEADER = "tapewire.run_id"
"""The header the sink reads a record's run id from (``streams.sink.loop.RUN_ID_HEADER``)."""


@dataclass(frozen=True, slots=True)
class ReplayAgent:
    """The agent consuming with the rewound group."""

    name: str
    """Agent name (snapshot keys are ``<name>:<instance>``)."""
    reference: str
    """What to pass to ``tapewire agent``."""
    kind: AgentKind
    snapshot_topic: str | None
    """Logical snapshot topic (stateful agents only)."""
    inferred: bool

    def describe(self) -> str:
        how = "inferred from the group name" if self.inferred else "from --agent"
        if self.kind == "stateful":
            return f"agent {self.name!r} ({how}): stateful, snapshots in {self.snapshot_topic}"
        if self.kind == "sink":
            return f"agent {self.name!r} ({how}): the Timescale sink, only its offsets move"
        return f"agent {self.name!r} ({how}): stateless, only its offsets move"


def resolve_agent(
    settings: Settings,
    group: str,
    *,
    agent: str | None = None,
    snapshot_topic: str | None = None,
) -> ReplayAgent | None:
    """The agent of ``group``: from ``--agent``, else inferred; None when it cannot be told."""
    if agent is not None:
        return _from_reference(agent, snapshot_topic, inferred=False)
    if group == settings.topic(load_sink_settings().group_id):
        return ReplayAgent("sink", "sink", "sink", None, inferred=True)
    prefix = settings.topic_prefix
    name = group[len(prefix) :] if group.startswith(prefix) else ""
    if not name.isidentifier() or importlib.util.find_spec(f"streams.agents.{name}") is None:
        return None
    try:
        found = _from_reference(name, snapshot_topic, inferred=True)
    except ConfigError:
        return None  # a module of the package that is not an agent
    return found if found is not None and found.name == name else None


def _from_reference(
    reference: str, snapshot_topic: str | None, *, inferred: bool
) -> ReplayAgent | None:
    spec = load_spec(reference)
    if not isinstance(spec, AgentSpec):
        if spec.name == "sink":
            return ReplayAgent(spec.name, reference, "sink", None, inferred=inferred)
        return None if inferred else ReplayAgent(spec.name, reference, "stateless", None, inferred)
    topic = snapshot_topic or spec.snapshot_topic
    kind: AgentKind = "stateful" if topic is not None else "stateless"
    return ReplayAgent(spec.name, reference, kind, topic, inferred=inferred)


def start_instructions(
    agent: ReplayAgent | None,
    group: str,
    settings: Settings,
    *,
    run_id: str,
    run_id_supported: bool,
) -> str:
    """How to start the agent(s) of the rewound group so the replay is safe and identified."""
    env = ["TAPEWIRE_ORDERS_REPLAY_MODE=true"]
    notes = [
        "TAPEWIRE_ORDERS_REPLAY_MODE=true: the order manager never addresses a real venue "
        "(harmless for other agents)"
    ]
    if agent is not None and agent.kind == "sink":
        env = []
        notes = [
            "keep TAPEWIRE_SINK_RUN_ID as it was: re-read rows then collide with the stored ones "
            "on (event_id, run_id) and are skipped; set a new one to load the replay as a "
            "separate run"
        ]
    elif run_id_supported:
        env.append(f"TAPEWIRE_RUN_ID={run_id}")
        notes.append(f"outputs carry the header {RUN_ID_HEADER}={run_id}; the sink stores them")
        notes.append(f"under run_id {run_id!r}, apart from the live rows")
    else:
        notes.append(
            "outputs are re-emitted with the ids they had (derived from their causes) and "
            "carry no run id yet: consumers and the sink drop them as duplicates"
        )
    options = []
    if settings.topic_prefix:
        options.append(f"--topic-prefix {settings.topic_prefix}")
    reference = agent.reference if agent is not None else "<agent>"
    if agent is None or (agent.kind != "sink" and group != settings.topic(agent.name)):
        options.append(f"--group {group}")
    command = " ".join([*env, "tapewire", "agent", reference, *options])
    lines = ["to run the replay, start the group's agent(s) again:", f"  {command}"]
    lines.extend(f"  # {note}" for note in notes)
    return "\n".join(lines)
