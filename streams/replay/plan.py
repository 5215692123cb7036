"""The replay plan: per partition, the committed offset, the target and what will be re-read.

Pure data and formatting; the broker look-ups live in :mod:`streams.replay.offsets`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from streams.replay.targets import Target


@dataclass(frozen=True, slots=True)
class PartitionPlan:
    topic: str
    partition: int
    current: int | None
    """The group's committed offset (None: the group has none for this partition)."""
    target: int
    low: int
    end: int
    """The true end (next offset to be written), found by reading, not from the broker's answer."""

    @property
    def to_reread(self) -> int:
        """Records the group will read again (or skip, if negative) after the rewind."""
        start = self.current if self.current is not None else self.low
        return start - self.target if self.current is not None else self.end - self.target

    @property
    def records_after_target(self) -> int:
        return self.end - self.target


@dataclass(frozen=True, slots=True)
class ReplayPlan:
    group: str
    target: Target
    partitions: tuple[PartitionPlan, ...]

    @property
    def total_after_target(self) -> int:
        return sum(p.records_after_target for p in self.partitions)

    def format(self) -> str:
        header = (
            f"replay plan for group {self.group!r} to {self.target.describe()}:\n"
            f"{'topic':<40} {'part':>4} {'current':>10} {'target':>10} {'end':>10} {'re-read':>10}"
        )
        rows = [header]
        for p in self.partitions:
            current = "-" if p.current is None else str(p.current)
            rows.append(
                f"{p.topic:<40} {p.partition:>4} {current:>10} {p.target:>10} {p.end:>10} "
                f"{p.records_after_target:>10}"
            )
        rows.append(f"total records from target to end: {self.total_after_target}")
        return "\n".join(rows)


def clamp(offset: int, low: int, end: int) -> int:
    """An explicit offset target, kept inside [low, end]."""
    return max(low, min(offset, end))


def build_plan(group: str, target: Target, partitions: Sequence[PartitionPlan]) -> ReplayPlan:
    ordered = tuple(sorted(partitions, key=lambda p: (p.topic, p.partition)))
    return ReplayPlan(group=group, target=target, partitions=ordered)
