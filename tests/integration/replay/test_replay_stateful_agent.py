"""State follows the rewind: ``tapewire replay`` on a stateful agent run by ``tapewire agent``.

The running-totals agent (bulk host, its default group ``<prefix>running_totals``) consumes
ticks, writes snapshots and is stopped. Rewinding to earliest tombstones its snapshots, so the
restarted agent rebuilds its state from nothing and ends exactly where an uninterrupted run
ends (not double counted). Rewinding to an offset or a time re-publishes the newest snapshot at
or before the target; the restarted agent re-reads exactly from that snapshot's offsets,
re-emitting identical outputs under the same ids.
"""

from __future__ import annotations

import re
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from streams.replay.rewind import apply_plan, plan_replay
from streams.replay.snapshots import apply_state, plan_state
from streams.replay.targets import Target
from tests.integration.replay.replay_support import (
    PARTITIONS,
    T0_MS,
    TAPEWIRE,
    AgentEnv,
    expected_outputs,
    expected_run,
    offsets_of,
    sequences_of,
    trades_between,
)

PER_PARTITION = 150
TOTAL = PARTITIONS * PER_PARTITION


@pytest.fixture
def agent_env(stack: Any, unique: str, tmp_path: Path) -> Iterator[AgentEnv]:
    env = AgentEnv.create(stack.settings(topic_prefix=unique), tmp_path)
    try:
        yield env
    finally:
        env.stop_all()


def _first_run(env: AgentEnv) -> dict[str, dict[str, Any]]:
    """Produce every tick, let the agent process them (many snapshots), stop it cleanly."""
    expected = expected_outputs(PER_PARTITION)
    env.produce(range(TOTAL))
    process = env.start_agent("--batch-size", "30")
    outputs = env.read("sample.total", None, until=len(expected))
    assert len(outputs) == len(expected)
    env.stop_agent(process)
    return expected


def _by_id(values: list[dict[str, Any] | None]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for value in values:
        assert value is not None
        out[str(value["envelope"]["event_id"])].append(value)
    return out


def _assert_final_state(env: AgentEnv, per_partition: int) -> None:
    """Every instance's newest snapshot equals an uninterrupted run over its partition."""
    current = env.current_snapshots()
    raw = env.topic("md.tick.raw")
    for partition in range(PARTITIONS):
        snapshot = current[f"running_totals:{partition}"]
        assert snapshot is not None
        assert offsets_of(snapshot) == {(raw, partition): per_partition}
        _, state = expected_run(sequences_of(partition, 0, per_partition))
        assert env.state_of(snapshot) == state, f"instance {partition} state differs"


def test_rewind_to_earliest_rebuilds_state_from_nothing(agent_env: AgentEnv) -> None:
    env = agent_env
    first = _first_run(env)
    replay = subprocess.run(
        [str(TAPEWIRE), "replay", "--group", env.group, "--to", "earliest"],
        env=env.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert replay.returncode == 0, replay.stderr
    out = replay.stdout
    assert "agent 'running_totals' (inferred from the group name): stateful" in out
    assert out.count("tombstone") == PARTITIONS, out
    assert "rewound" in out
    assert re.search(
        r"TAPEWIRE_ORDERS_REPLAY_MODE=true TAPEWIRE_RUN_ID=replay-\S+ "
        r"tapewire agent running_totals",
        out,
    ), out
    assert set(env.current_snapshots().values()) == {None}, "every key tombstoned"

    more = range(TOTAL, TOTAL + 2 * PARTITIONS * 10)  # new ticks arrive meanwhile
    env.produce(more)
    expected = expected_outputs(PER_PARTITION + 20)
    mark = env.ends("sample.total")
    process = env.start_agent()
    after = _by_id(env.decode(env.read("sample.total", mark, until=len(expected))))
    env.stop_agent(process)

    assert env.log_of(process).count("recovered from nothing") == PARTITIONS
    assert "recovered from snapshot" not in env.log_of(process)
    assert set(after) == set(expected), "every input re-read from the beginning, once"
    assert all(len(values) == 1 for values in after.values())
    assert {i: v[0] for i, v in after.items()} == expected
    assert all(after[i][0] == first[i] for i in first), "re-emitted outputs are identical"
    _assert_final_state(env, PER_PARTITION + 20)


def _replay_and_check(env: AgentEnv, target: Target, expected_targets: int | None) -> None:
    """Rewind group + snapshots to ``target``, restart, check the re-read and the state."""
    before = env.snapshot_log()
    plan = plan_replay(env.settings.bootstrap_servers, env.group, target)
    if expected_targets is not None:
        assert [p.target for p in plan.partitions] == [expected_targets] * PARTITIONS
    targets = {(p.topic, p.partition): p.target for p in plan.partitions}
    snapshot_topic = env.topic("sample.snapshot")
    dry = plan_state(
        env.settings, "running_totals", snapshot_topic, target.kind, targets, marker=False
    )
    assert env.snapshot_log() == before, "a dry run writes nothing"
    state = plan_state(
        env.settings, "running_totals", snapshot_topic, target.kind, targets, marker=True
    )
    assert state.actions == dry.actions, "reading to the marker and to the quiet end agree"
    assert {a.kind for a in state.actions} == {"restore"}
    apply_plan(plan, env.settings.bootstrap_servers)
    apply_state(env.settings, state)

    raw = env.topic("md.tick.raw")
    resume: dict[int, int] = {}
    current = env.current_snapshots()
    for partition in range(PARTITIONS):
        key = f"running_totals:{partition}"
        candidates = [
            offsets_of(v)[(raw, partition)]
            for k, v in before
            if k == key and v is not None and v["kind"] == "SNAPSHOT"
        ]
        wanted = max(o for o in candidates if o <= targets[(raw, partition)])
        restored = current[key]
        assert restored is not None
        assert offsets_of(restored) == {(raw, partition): wanted}, "newest at or before target"
        assert wanted < PER_PARTITION, "an older snapshot than the final one"
        resume[partition] = wanted

    mark = env.ends("sample.total")
    rereads = sum(trades_between(p, resume[p], PER_PARTITION) for p in range(PARTITIONS))
    process = env.start_agent()
    after = _by_id(env.decode(env.read("sample.total", mark, until=rereads)))
    env.stop_agent(process)

    assert env.log_of(process).count("recovered from snapshot") == PARTITIONS
    assert sum(len(v) for v in after.values()) == rereads, "re-read from the snapshot, once"
    expected = expected_outputs(PER_PARTITION)
    assert {i: v[0] for i, v in after.items()} == {i: expected[i] for i in after}
    _assert_final_state(env, PER_PARTITION)


def test_rewind_to_an_offset_then_to_a_time_restores_older_snapshots(
    agent_env: AgentEnv,
) -> None:
    _first_run(agent_env)
    _replay_and_check(agent_env, Target("offset", offset=100), expected_targets=100)
    # tick n has timestamp T0 + 10 n ms and sits at offset n // 3 of partition n % 3: the
    # first tick at or after T0 + 10 * 3 * 60 ms is at offset 60 of every partition
    when = datetime.fromtimestamp((T0_MS + 10 * 3 * 60 - 5) / 1000, tz=UTC)
    _replay_and_check(agent_env, Target("time", time=when), expected_targets=60)


def test_rewind_to_latest_keeps_the_state_and_skips_the_backlog(agent_env: AgentEnv) -> None:
    env = agent_env
    _first_run(env)
    before = env.current_snapshots()
    env.produce(range(TOTAL, TOTAL + 10 * PARTITIONS))  # a backlog the agent has not read
    plan = plan_replay(env.settings.bootstrap_servers, env.group, Target("latest"))
    assert [p.target for p in plan.partitions] == [PER_PARTITION + 10] * PARTITIONS
    targets = {(p.topic, p.partition): p.target for p in plan.partitions}
    snapshot_topic = env.topic("sample.snapshot")
    state = plan_state(
        env.settings, "running_totals", snapshot_topic, "latest", targets, marker=True
    )
    assert {a.kind for a in state.actions} == {"advance"}
    apply_plan(plan, env.settings.bootstrap_servers)
    apply_state(env.settings, state)

    raw = env.topic("md.tick.raw")
    after = env.current_snapshots()
    for partition in range(PARTITIONS):
        key = f"running_totals:{partition}"
        old, new = before[key], after[key]
        assert old is not None
        assert new is not None
        assert offsets_of(new) == {(raw, partition): PER_PARTITION + 10}
        assert new["state"] == old["state"], "the state is kept as it was"
