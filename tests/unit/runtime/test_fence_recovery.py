"""The pure part of fenced recovery: which snapshot wins, where inputs resume."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from streams.errors import RecoveryError
from streams.runtime.recovery import EARLIEST, FenceScan, start_positions
from streams.runtime.snapshot import StoredSnapshot, fence_record, snapshot_record

AGENT = "running_totals"

START = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


def _snap(instance: str, offset: int) -> dict[str, Any]:
    return snapshot_record(
        agent=AGENT,
        instance=instance,
        state=str(offset).encode(),
        state_schema=None,
        offsets={("in", int(instance)): offset},
        events_processed=offset,
        now=START,
    )


def _fence(instance: str, fence_id: str) -> dict[str, Any]:
    return fence_record(agent=AGENT, instance=instance, fence_id=fence_id, now=START)


def _feed(scan: FenceScan, records: list[tuple[str, dict[str, Any] | None]]) -> None:
    for key, value in records:
        scan.feed(key, value)


def test_the_latest_snapshot_before_the_own_fence_wins() -> None:
    scan = FenceScan(AGENT, {"0": "mine"})
    _feed(
        scan,
        [
            (f"{AGENT}:0", _snap("0", 10)),
            (f"{AGENT}:0:fence", _fence("0", "an-older-incarnation")),
            (f"{AGENT}:0", _snap("0", 20)),
            (f"{AGENT}:1", _snap("1", 99)),
        ],
    )
    with pytest.raises(RecoveryError, match="not complete"):
        scan.snapshot_of("0")  # an older incarnation's fence is not ours
    _feed(scan, [(f"{AGENT}:0:fence", _fence("0", "mine")), (f"{AGENT}:0", _snap("0", 30))])
    assert scan.complete
    stored = scan.snapshot_of("0")
    assert stored is not None
    assert stored.offsets == {("in", 0): 20}, "a snapshot after the fence (a zombie) is ignored"


def test_several_instances_share_a_partition() -> None:
    scan = FenceScan(AGENT, {"0": "a", "2": "b"})
    _feed(scan, [(f"{AGENT}:2", _snap("2", 5)), (f"{AGENT}:0:fence", _fence("0", "a"))])
    with pytest.raises(RecoveryError, match="not complete"):
        scan.snapshot_of("0")
    _feed(scan, [(f"{AGENT}:2:fence", _fence("2", "b"))])
    assert scan.snapshot_of("0") is None
    assert scan.snapshot_of("2") is not None


def test_a_tombstone_deletes_the_snapshot() -> None:
    scan = FenceScan(AGENT, {"0": "f"})
    _feed(
        scan,
        [
            (f"{AGENT}:0", _snap("0", 5)),
            (f"{AGENT}:0", None),
            (f"{AGENT}:0:fence", _fence("0", "f")),
        ],
    )
    assert scan.snapshot_of("0") is None


def test_asking_before_the_fence_is_an_error() -> None:
    scan = FenceScan(AGENT, {"0": "f"})
    with pytest.raises(RecoveryError, match="not complete"):
        scan.snapshot_of("0")


def test_a_fence_under_the_snapshot_key_is_an_error() -> None:
    scan = FenceScan(AGENT, {"0": "f"})
    with pytest.raises(RecoveryError, match="FENCE record"):
        scan.feed(f"{AGENT}:0", _fence("0", "f"))


def test_a_foreign_agent_under_our_key_is_an_error() -> None:
    scan = FenceScan(AGENT, {"0": "f"})
    foreign = _snap("0", 1)
    foreign["agent"] = "someone_else"
    with pytest.raises(RecoveryError, match="someone_else"):
        scan.feed(f"{AGENT}:0", foreign)


def test_inputs_resume_at_stored_offsets_or_earliest() -> None:
    stored = StoredSnapshot(AGENT, "0", b"", None, {("a", 0): 17})
    assert start_positions(stored, [("a", 0), ("b", 0)]) == {("a", 0): 17, ("b", 0): EARLIEST}
    assert start_positions(None, [("a", 0)]) == {("a", 0): EARLIEST}


def test_the_snapshot_survives_compaction_of_older_fences() -> None:
    log: list[tuple[str, dict[str, Any] | None]] = [
        (f"{AGENT}:0:fence", _fence("0", "first-start")),
        (f"{AGENT}:0", _snap("0", 10)),
        (f"{AGENT}:0:fence", _fence("0", "second-start")),
    ]
    latest_per_key = {key: index for index, (key, _) in enumerate(log)}
    compacted = [log[i] for i in sorted(latest_per_key.values())]
    scan = FenceScan(AGENT, {"0": "third-start"})
    _feed(scan, [*compacted, (f"{AGENT}:0:fence", _fence("0", "third-start"))])
    stored = scan.snapshot_of("0")
    assert stored is not None
    assert stored.offsets == {("in", 0): 10}
