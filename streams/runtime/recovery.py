"""Fenced recovery, the pure part: which snapshot to restore and where inputs resume.

The protocol never trusts the broker's end offset (the embedded broker reports wrong ones):

1. on assignment, write a ``FENCE`` record with a fresh ``fence_id`` for each assigned
   instance to its snapshot partition (key ``agent:instance:fence``);
2. read that partition from the beginning until every own fence has been seen — anything
   written before the fence (every snapshot of an earlier incarnation) is then known to
   have been read, whatever the broker says its end offset is;
3. restore the latest ``SNAPSHOT`` of each key seen before its fence;
4. seek the instance's inputs to the offsets stored in that snapshot (not the group's
   committed offsets); with no snapshot, read the inputs from the earliest offset.

:class:`FenceScan` is step 2-3 as a state machine fed with decoded records;
:func:`start_positions` is step 4. The I/O lives in :mod:`streams.runtime.snapshot_store`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from streams.errors import RecoveryError
from streams.runtime.snapshot import StoredSnapshot, TopicPartition, fence_key, snapshot_key

EARLIEST: Final = -2
"""Start position meaning "the earliest offset still in the log" (librdkafka's value)."""


class FenceScan:
    """Reads one snapshot partition's records until every expected fence has been seen.

    Snapshots are keyed ``agent:instance`` and fences ``agent:instance:fence`` (so that
    compaction, which keeps the latest record per key, never drops a snapshot for a fence);
    both keys of an instance live in the same partition, so their order is total.
    """

    def __init__(self, agent: str, fences: Mapping[str, str]) -> None:
        """``fences`` maps each instance recovered from this partition to its fence id."""
        self._agent = agent
        self._fence_ids = {fence_key(agent, inst): fid for inst, fid in fences.items()}
        self._instance_of = {snapshot_key(agent, inst): fence_key(agent, inst) for inst in fences}
        self._seen: set[str] = set()
        self._latest: dict[str, StoredSnapshot] = {}

    @property
    def complete(self) -> bool:
        """True once every expected fence has been read."""
        return self._seen == set(self._fence_ids)

    def feed(self, key: str | None, value: Mapping[str, Any] | None) -> None:
        """Take the next record of the partition (``value`` None = a compaction tombstone)."""
        if key in self._fence_ids:
            if value is not None and key not in self._seen:
                self._check(key, value, "FENCE")
                if value.get("fence_id") == self._fence_ids[key]:
                    self._seen.add(key)
            return
        fence = self._instance_of.get(key or "")
        if key is None or fence is None or fence in self._seen:
            return  # another key, or written after our fence (by a zombie): not ours to trust
        if value is None:
            self._latest.pop(key, None)
            return
        self._check(key, value, "SNAPSHOT")
        self._latest[key] = StoredSnapshot.from_record(value)

    def snapshot_of(self, instance: str) -> StoredSnapshot | None:
        """The latest snapshot of ``instance`` before its fence (call when complete)."""
        if not self.complete:
            raise RecoveryError("fence scan is not complete: the fences were not all seen")
        return self._latest.get(snapshot_key(self._agent, instance))

    def _check(self, key: str, value: Mapping[str, Any], kind: str) -> None:
        if value.get("agent") != self._agent or value.get("kind") != kind:
            raise RecoveryError(
                f"key {key} holds a {value.get('kind')} record of agent {value.get('agent')}"
            )


def start_positions(
    snapshot: StoredSnapshot | None, partitions: Iterable[TopicPartition]
) -> dict[TopicPartition, int]:
    """Where each input partition of an instance resumes: stored offset, else earliest."""
    stored = snapshot.offsets if snapshot is not None else {}
    return {tp: stored.get(tp, EARLIEST) for tp in partitions}
