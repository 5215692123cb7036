"""The snapshot rule of replay: which snapshot each instance key restores after a rewind."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from streams.replay.state import (
    HistoryBuilder,
    KeyHistory,
    StatePlan,
    decide,
    newest_at_or_before,
)
from streams.runtime.snapshot import StoredSnapshot, fence_record, snapshot_record

NOW = datetime(2024, 3, 1, tzinfo=UTC)
RAW = "p-md.tick.raw"


def _snap(instance: int, offset: int, *, state: bytes = b"s", extra: int | None = None) -> Any:
    offsets = {(RAW, instance): offset}
    if extra is not None:
        offsets[("p-system.control", 0)] = extra
    return snapshot_record(
        agent="totals",
        instance=str(instance),
        state=state + str(offset).encode(),
        state_schema="fp",
        offsets=offsets,
        events_processed=offset,
        now=NOW,
    )


def _history(instance: int, *offsets: int) -> KeyHistory:
    """A key's history; with no offsets, a key holding only a recovery fence."""
    builder = HistoryBuilder("totals")
    key = f"totals:{instance}"
    builder.feed(
        0, key, fence_record(agent="totals", instance=str(instance), fence_id="f", now=NOW)
    )
    for offset in offsets:
        builder.feed(0, key, _snap(instance, offset))
    (history,) = builder.histories()
    return history


def test_builder_keeps_the_agents_snapshots_and_forgets_them_at_a_tombstone() -> None:
    builder = HistoryBuilder("totals")
    builder.feed(0, "totals:0", _snap(0, 10))
    builder.feed(0, "totals:0", fence_record(agent="totals", instance="0", fence_id="f", now=NOW))
    builder.feed(0, "other:0", {**_snap(0, 99), "agent": "other"})
    builder.feed(
        0, "replay:abc", fence_record(agent="replay", instance="abc", fence_id="x", now=NOW)
    )
    builder.feed(
        0, "totals:0:fence", fence_record(agent="totals", instance="0", fence_id="g", now=NOW)
    )
    builder.feed(0, "totals:0:fence", None)
    builder.feed(1, "totals:1", _snap(1, 5))
    builder.feed(1, "totals:1", None)
    builder.feed(1, "totals:1", _snap(1, 7))
    builder.feed(0, "totals:2", _snap(2, 3))
    builder.feed(0, "totals:2", None)
    histories = {h.key: h for h in builder.histories()}
    assert set(histories) == {"totals:0", "totals:1", "totals:2"}, "fence keys are not state"
    assert [s.offsets[(RAW, 0)] for s in histories["totals:0"].snapshots] == [10]
    assert [s.offsets[(RAW, 1)] for s in histories["totals:1"].snapshots] == [7]
    assert histories["totals:1"].partition == 1
    assert histories["totals:2"].current is None, "a tombstone removes the snapshot"


def test_earliest_tombstones_every_key() -> None:
    actions = decide("earliest", [_history(0, 10, 20), _history(1)], {(RAW, 0): 0, (RAW, 1): 0})
    assert [(a.key, a.kind) for a in actions] == [
        ("totals:0", "tombstone"),
        ("totals:1", "tombstone"),
    ]
    assert all(a.writes and a.snapshot is None for a in actions)


@pytest.mark.parametrize(
    ("target", "kind", "offset"),
    [
        (100, "keep", 80),  # the newest is already at or before the target
        (79, "restore", 60),
        (60, "restore", 60),  # equal to the target counts as "at or before"
        (59, "restore", 40),
        (39, "tombstone", None),  # none qualifies: rebuild from earliest
    ],
)
def test_time_or_offset_restores_the_newest_snapshot_at_or_before_the_target(
    target: int, kind: str, offset: int | None
) -> None:
    (action,) = decide("offset", [_history(0, 40, 60, 80)], {(RAW, 0): target, (RAW, 1): 0})
    assert action.kind == kind
    if offset is None:
        assert action.snapshot is None
    else:
        assert action.snapshot is not None
        assert action.offsets == {(RAW, 0): offset}
        assert action.snapshot.state == f"s{offset}".encode()


def test_a_key_without_snapshot_needs_nothing_for_time_targets_and_latest() -> None:
    empty = _history(0)
    assert decide("time", [empty], {(RAW, 0): 5}) == []
    assert decide("latest", [empty], {(RAW, 0): 5}) == []


def test_latest_keeps_the_state_and_moves_the_instances_offsets_to_the_end() -> None:
    builder = HistoryBuilder("totals")
    builder.feed(0, "totals:1", _snap(1, 30, extra=4))
    (history,) = builder.histories()
    targets = {(RAW, 0): 500, (RAW, 1): 90, (RAW, 2): 70}
    (action,) = decide("latest", [history], targets)
    assert action.kind == "advance"
    assert action.offsets == {(RAW, 1): 90, ("p-system.control", 0): 4}, (
        "only the instance's own rewound partition moves; broadcast offsets are kept"
    )
    (same,) = decide("latest", [history], {(RAW, 1): 30})
    assert same.kind == "keep"
    assert not same.writes


def test_partitions_outside_the_plan_are_not_compared() -> None:
    snapshots = [
        StoredSnapshot("totals", "0", b"a", "fp", {(RAW, 0): 10, ("p-system.control", 0): 900}),
        StoredSnapshot("totals", "0", b"b", "fp", {(RAW, 0): 30, ("p-system.control", 0): 950}),
    ]
    chosen = newest_at_or_before(snapshots, {(RAW, 0): 20})
    assert chosen is snapshots[0]
    assert newest_at_or_before(snapshots, {(RAW, 0): 9}) is None


def test_nearest_wins_over_log_order_after_an_earlier_republish() -> None:
    # a previous replay re-published the snapshot at 40 after the one at 80
    history = _history(0, 40, 80, 40)
    chosen = newest_at_or_before(history.snapshots, {(RAW, 0): 85})
    assert chosen is not None
    assert chosen.offsets == {(RAW, 0): 80}


def test_state_plan_formats_every_action() -> None:
    actions = decide("offset", [_history(0, 40), _history(1, 50)], {(RAW, 0): 45, (RAW, 1): 10})
    plan = StatePlan("totals", "p-sample.snapshot", tuple(actions), scanned_keys=2)
    text = plan.format()
    assert "snapshots of agent 'totals' in p-sample.snapshot" in text
    assert "totals:0" in text
    assert "keep the newest snapshot" in text
    assert "tombstone" in text
    assert plan.writes == 1
    empty = StatePlan("totals", "t", (), scanned_keys=0).format()
    assert "no snapshot to change" in empty
