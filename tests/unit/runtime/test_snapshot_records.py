"""Snapshot and fence records: schema-valid, deterministic ids, schedule, partition choice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from streams.codec import AvroCodec
from streams.runtime.snapshot import (
    SNAPSHOT_EVENT_TYPE,
    SnapshotSchedule,
    StoredSnapshot,
    fence_record,
    snapshot_key,
    snapshot_partition,
    snapshot_record,
)

START = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


def _snapshot(offset: int = 42) -> dict[str, object]:
    return snapshot_record(
        agent="running_totals",
        instance="2",
        state=b"\x02abc",
        state_schema="fp",
        offsets={("p-md.tick.raw", 2): offset, ("p-other", 2): 7},
        events_processed=49,
        now=START,
    )


def test_a_snapshot_round_trips_through_the_codec(codec: AvroCodec) -> None:
    encoded = codec.encode_value("p-sample.snapshot", SNAPSHOT_EVENT_TYPE, _snapshot())
    stored = StoredSnapshot.from_record(codec.decode_value(encoded))
    assert stored == StoredSnapshot(
        agent="running_totals",
        instance="2",
        state=b"\x02abc",
        state_schema="fp",
        offsets={("p-md.tick.raw", 2): 42, ("p-other", 2): 7},
        events_processed=49,
    )


def test_a_fence_round_trips_through_the_codec(codec: AvroCodec) -> None:
    fence = fence_record(agent="a", instance="0", fence_id="f-1", now=START)
    decoded = codec.decode_value(codec.encode_value("t", SNAPSHOT_EVENT_TYPE, fence))
    assert (decoded["kind"], decoded["fence_id"], decoded["state"]) == ("FENCE", "f-1", None)


def test_snapshot_ids_derive_from_the_position_they_reflect() -> None:
    assert _snapshot()["envelope"] == _snapshot()["envelope"]
    first = _snapshot(42)["envelope"]
    second = _snapshot(43)["envelope"]
    assert isinstance(first, dict)
    assert isinstance(second, dict)
    assert first["event_id"] != second["event_id"]


def test_keys_and_partitions() -> None:
    assert snapshot_key("risk_gate", "3") == "risk_gate:3"
    assert [snapshot_partition(i, 2) for i in range(4)] == [0, 1, 0, 1]
    with pytest.raises(ValueError, match="at least one partition"):
        snapshot_partition(0, 0)


def test_schedule_by_events_and_by_time() -> None:
    schedule = SnapshotSchedule(every_events=3, every_seconds=10.0, started_at=0.0)
    assert not schedule.due(100.0), "nothing new: nothing to save, whatever the time"
    schedule.record(2)
    assert not schedule.due(1.0)
    assert schedule.due(10.0)
    schedule.record()
    assert schedule.due(1.0)
    schedule.taken(1.0)
    assert schedule.pending == 0
    assert not schedule.due(5.0)


def test_schedule_rejects_non_positive_intervals() -> None:
    with pytest.raises(ValueError, match="positive"):
        SnapshotSchedule(every_events=0, every_seconds=1.0, started_at=0.0)
