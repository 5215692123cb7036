"""State follows the rewind: what ``tapewire replay`` does to a stateful agent's snapshots.

A stateful agent does not resume from its group's committed offsets: on assignment it restores
the newest ``SNAPSHOT`` of each instance key ``"<agent>:<instance>"`` from its compacted
snapshot topic and seeks its inputs to the offsets stored there (from earliest without one; a
tombstone removes a key's snapshot). Rewinding the group alone would therefore change
nothing, so the snapshots follow the target:

- ``earliest``: every key of the agent is tombstoned; the agent rebuilds its state from nothing;
- a time or an offset: the newest snapshot whose stored offsets are all at or before the
  target offsets of the same partitions is re-published as the key's newest record (state as
  of a point at or before the target; the agent re-reads from there and re-emits outputs with
  the same ids, which consumers drop); when none qualifies the key is tombstoned (rebuild);
- ``latest``: the newest snapshot is re-published with the offsets of the rewound partitions
  moved to their true ends: the state is kept and the backlog skipped.

Everything here is pure; reading and writing the snapshot topic lives in
:mod:`streams.replay.snapshots`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from streams.replay.targets import TargetKind
from streams.runtime.snapshot import StoredSnapshot, TopicPartition, fence_key

ActionKind = Literal["tombstone", "restore", "advance", "keep"]


@dataclass(frozen=True, slots=True)
class KeyHistory:
    """The snapshots of one instance key, oldest first, since its last tombstone."""

    key: str
    instance: str
    partition: int
    """Snapshot-topic partition holding the key (written back to the same one)."""
    snapshots: tuple[StoredSnapshot, ...] = ()

    @property
    def current(self) -> StoredSnapshot | None:
        """What the agent would restore now: the newest snapshot (None after a tombstone)."""
        return self.snapshots[-1] if self.snapshots else None


@dataclass(slots=True)
class HistoryBuilder:
    """Folds the records of a snapshot topic into one :class:`KeyHistory` per key of an agent.

    Records of other agents sharing the topic, fences (under their own key
    ``"<agent>:<instance>:fence"`` or, from older writers, the snapshot key) and replay markers
    are ignored; a tombstone (null value) clears the key's history, as it does for recovery.
    """

    agent: str
    _keys: dict[str, tuple[str, int]] = field(default_factory=dict)
    _snapshots: dict[str, list[StoredSnapshot]] = field(default_factory=dict)

    def feed(self, partition: int, key: str | None, value: Mapping[str, Any] | None) -> None:
        prefix = f"{self.agent}:"
        if key is None or not key.startswith(prefix):
            return
        instance = key[len(prefix) :]
        if key == fence_key(self.agent, instance.removesuffix(":fence")):
            return  # the instance's recovery fences: not state
        if value is not None and value.get("agent") != self.agent:
            return
        self._keys.setdefault(key, (instance, partition))
        history = self._snapshots.setdefault(key, [])
        if value is None:
            history.clear()
        elif value.get("kind") == "SNAPSHOT":
            history.append(StoredSnapshot.from_record(value))

    def histories(self) -> list[KeyHistory]:
        return [
            KeyHistory(key, instance, partition, tuple(self._snapshots.get(key, ())))
            for key, (instance, partition) in sorted(self._keys.items())
        ]


@dataclass(frozen=True, slots=True)
class SnapshotAction:
    """What replay does to one instance key, and the snapshot it publishes (if any)."""

    key: str
    instance: str
    partition: int
    kind: ActionKind
    snapshot: StoredSnapshot | None = None
    """The snapshot to publish (``restore``/``advance``) or kept (``keep``)."""
    offsets: Mapping[TopicPartition, int] = field(default_factory=dict)
    """The offsets the published snapshot carries (the agent resumes there)."""

    @property
    def writes(self) -> bool:
        return self.kind != "keep"

    def describe(self) -> str:
        where = ", ".join(f"{t}[{p}]@{o}" for (t, p), o in sorted(self.offsets.items()))
        if self.kind == "tombstone":
            return "tombstone: the instance rebuilds its state from the earliest offsets"
        if self.kind == "keep":
            return f"keep the newest snapshot (resumes at {where or 'earliest'})"
        if self.kind == "restore":
            return f"re-publish an older snapshot (resumes at {where or 'earliest'})"
        return f"re-publish the newest snapshot with offsets moved to {where}"


def decide(
    kind: TargetKind,
    histories: Iterable[KeyHistory],
    targets: Mapping[TopicPartition, int],
) -> list[SnapshotAction]:
    """One action per key that needs one; ``targets`` are the plan's target offsets."""
    actions: list[SnapshotAction] = []
    for history in histories:
        decided = _decide_one(kind, history, targets)
        if decided is None:
            continue
        action, snapshot = decided
        offsets: dict[TopicPartition, int] = {}
        if snapshot is not None:
            offsets = dict(snapshot.offsets)
            if action == "advance":
                offsets.update(
                    {tp: end for tp, end in targets.items() if _same_instance(tp, snapshot)}
                )
        actions.append(
            SnapshotAction(
                key=history.key,
                instance=history.instance,
                partition=history.partition,
                kind=action,
                snapshot=snapshot,
                offsets=offsets,
            )
        )
    return actions


def _decide_one(
    kind: TargetKind, history: KeyHistory, targets: Mapping[TopicPartition, int]
) -> tuple[ActionKind, StoredSnapshot | None] | None:
    current = history.current
    if kind == "earliest":
        return "tombstone", None
    if kind == "latest":
        if current is None:
            return None  # nothing to keep: the agent reads its inputs from earliest anyway
        behind = any(
            current.offsets.get(tp) != end
            for tp, end in targets.items()
            if _same_instance(tp, current)
        )
        return ("advance" if behind else "keep"), current
    chosen = newest_at_or_before(history.snapshots, targets)
    if chosen is None:
        return ("tombstone", None) if current is not None else None
    return ("keep" if chosen is current else "restore"), chosen


def newest_at_or_before(
    snapshots: Sequence[StoredSnapshot], targets: Mapping[TopicPartition, int]
) -> StoredSnapshot | None:
    """The snapshot nearest the target whose offsets are all <= the targets it shares.

    "Nearest" is the largest total of the shared offsets (least to re-read); among equals the
    one written last. Offsets of partitions the plan does not rewind (broadcast inputs) are
    not compared: they are restored as they were.
    """
    best: StoredSnapshot | None = None
    best_rank = -1
    for snapshot in snapshots:
        shared = _relevant(snapshot, targets)
        if any(offset > targets[tp] for tp, offset in shared.items()):
            continue
        rank = sum(shared.values())
        if rank >= best_rank:
            best, best_rank = snapshot, rank
    return best


def _relevant(
    snapshot: StoredSnapshot, targets: Mapping[TopicPartition, int]
) -> dict[TopicPartition, int]:
    return {tp: offset for tp, offset in snapshot.offsets.items() if tp in targets}


def _same_instance(tp: TopicPartition, snapshot: StoredSnapshot) -> bool:
    """Whether the rewound partition ``tp`` is one the snapshot's instance reads.

    An instance reads partition ``instance`` of every partitioned input; a rewound partition
    it has not read yet (no stored offset) still belongs to it when the numbers match.
    """
    return tp in snapshot.offsets or str(tp[1]) == snapshot.instance


def format_actions(
    agent: str, topic: str, actions: Sequence[SnapshotAction], *, scanned_keys: int
) -> str:
    """The plan's snapshot section."""
    lines = [f"snapshots of agent {agent!r} in {topic}:"]
    if not actions:
        lines.append(
            f"  no snapshot to change ({scanned_keys} key(s) found); instances without a "
            "snapshot read their inputs from the earliest offset"
        )
    for action in actions:
        lines.append(f"  {action.key:<30} part {action.partition:>3}  {action.describe()}")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class StatePlan:
    """The snapshot half of a replay plan: one agent's snapshot topic and what changes."""

    agent: str
    topic: str
    """Physical snapshot topic."""
    actions: tuple[SnapshotAction, ...]
    scanned_keys: int

    @property
    def writes(self) -> int:
        return sum(1 for action in self.actions if action.writes)

    def format(self) -> str:
        return format_actions(self.agent, self.topic, self.actions, scanned_keys=self.scanned_keys)
