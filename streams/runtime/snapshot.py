"""Snapshot and fence records of the ``system.snapshot`` schema, and when to take a snapshot.

A stateful agent instance (one per partition of its primary input) periodically writes a
``SNAPSHOT`` record to its compacted snapshot topic: the processor state encoded with the
processor's ``state_schema`` plus the next input offsets that state reflects. On assignment it
writes a ``FENCE`` record (see :mod:`streams.runtime.recovery`). Snapshots are keyed
``"<agent>:<instance>"``, fences ``"<agent>:<instance>:fence"``; both always go to the same
partition of the snapshot topic (:func:`snapshot_partition`), so one partition holds the
whole, totally ordered history of an instance.

Everything here is pure: records are plain dicts matching avro/system.snapshot.v1.avsc.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from streams.events import derive_event_id, envelope

SNAPSHOT_EVENT_TYPE: Final = "system.snapshot"

TopicPartition = tuple[str, int]
"""A (physical topic, partition) pair."""


def snapshot_key(agent: str, instance: str) -> str:
    """The compaction key of an agent instance's snapshots and fences."""
    return f"{agent}:{instance}"


def fence_key(agent: str, instance: str) -> str:
    """The key of an instance's fences: never the snapshot key, or compaction (latest record
    per key) could drop the last snapshot in favour of a fence."""
    return f"{agent}:{instance}:fence"


def snapshot_partition(instance_partition: int, snapshot_partitions: int) -> int:
    """The snapshot-topic partition that holds every record of one instance.

    Chosen explicitly (not by the producer's key hash) so every client library agrees.
    """
    if snapshot_partitions <= 0:
        raise ValueError(f"snapshot topic needs at least one partition, got {snapshot_partitions}")
    return instance_partition % snapshot_partitions


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    """A decoded ``SNAPSHOT`` record: encoded state and the next offsets it reflects."""

    agent: str
    instance: str
    state: bytes | None
    state_schema: str | None
    offsets: Mapping[TopicPartition, int] = field(default_factory=dict)
    events_processed: int = 0

    @classmethod
    def from_record(cls, value: Mapping[str, Any]) -> StoredSnapshot:
        """Build from a decoded ``system.snapshot`` record of kind ``SNAPSHOT``."""
        offsets = {
            (str(item["topic"]), int(item["partition"])): int(item["offset"])
            for item in value["offsets"]
        }
        return cls(
            agent=str(value["agent"]),
            instance=str(value["instance"]),
            state=value.get("state"),
            state_schema=value.get("state_schema"),
            offsets=offsets,
            events_processed=int(value.get("events_processed", 0)),
        )


def snapshot_record(
    *,
    agent: str,
    instance: str,
    state: bytes | None,
    state_schema: str | None,
    offsets: Mapping[TopicPartition, int],
    events_processed: int,
    now: datetime,
) -> dict[str, Any]:
    """A ``SNAPSHOT`` record; its id derives from the instance and the position it reflects."""
    ordered = sorted(offsets.items())
    position = ",".join(f"{topic}/{partition}@{offset}" for (topic, partition), offset in ordered)
    event_id = derive_event_id(snapshot_key(agent, instance), "snapshot", position)
    return {
        "envelope": envelope(
            event_type=SNAPSHOT_EVENT_TYPE,
            event_id=event_id,
            event_time=now,
            ingest_time=now,
            agent=agent,
        ),
        "agent": agent,
        "instance": instance,
        "kind": "SNAPSHOT",
        "fence_id": None,
        "state_schema": state_schema,
        "state": state,
        "offsets": [
            {"topic": topic, "partition": partition, "offset": offset}
            for (topic, partition), offset in ordered
        ],
        "events_processed": events_processed,
    }


def fence_record(*, agent: str, instance: str, fence_id: str, now: datetime) -> dict[str, Any]:
    """A ``FENCE`` record marking "everything before me was written before I recovered"."""
    return {
        "envelope": envelope(
            event_type=SNAPSHOT_EVENT_TYPE,
            event_id=derive_event_id(snapshot_key(agent, instance), "fence", fence_id),
            event_time=now,
            ingest_time=now,
            agent=agent,
        ),
        "agent": agent,
        "instance": instance,
        "kind": "FENCE",
        "fence_id": fence_id,
        "state_schema": None,
        "state": None,
        "offsets": [],
        "events_processed": 0,
    }


class SnapshotSchedule:
    """Decides when an instance is due for a snapshot: every N events or T seconds.

    Time is a monotonic reading supplied by the caller (from its injected clock). A period
    with no new events never triggers a snapshot: there is nothing new to save.
    """

    def __init__(self, every_events: int, every_seconds: float, started_at: float) -> None:
        if every_events <= 0 or every_seconds <= 0:
            raise ValueError("snapshot interval must be positive")
        self._every_events = every_events
        self._every_seconds = every_seconds
        self._pending = 0
        self._last = started_at

    @property
    def pending(self) -> int:
        """Events processed since the last snapshot."""
        return self._pending

    def record(self, events: int = 1) -> None:
        self._pending += events

    def due(self, now: float) -> bool:
        if self._pending == 0:
            return False
        return self._pending >= self._every_events or now - self._last >= self._every_seconds

    def taken(self, now: float) -> None:
        self._pending = 0
        self._last = now
