"""Per-(feed, instrument) sequence tracking with bounded memory (pure, no I/O).

A tracker remembers the next expected sequence and the ranges of sequences it skipped
(``[start, end)``, oldest first, at most ``max_missing_ranges``). That is enough to tell,
for any sequence, whether it is the next one, a jump (gap), a late arrival of a skipped
sequence (out of order), or one already seen (duplicate) — in O(ranges) memory however
large the jumps are. When more ranges are missing than the bound, the oldest are forgotten:
a very late arrival of a forgotten sequence is then treated as a duplicate.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from enum import Enum


class Verdict(Enum):
    """What an arriving sequence means."""

    FIRST = "first"
    NEXT = "next"
    JUMP = "jump"
    OUT_OF_ORDER = "out_of_order"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class Observation:
    """The verdict on one sequence and, for jumps, how many sequences were skipped."""

    verdict: Verdict
    expected: int
    received: int
    missing_count: int = 0


@dataclass(slots=True)
class SequenceTracker:
    """Sequence state of one (feed, instrument).

    ``conflated`` feeds (e.g. a venue's top-of-book stream) skip numbers by design: a jump
    is not a gap and nothing is remembered as missing; a lower sequence is stale and
    reported as a duplicate.
    """

    max_missing_ranges: int
    conflated: bool = False
    next_expected: int = -1
    missing: list[tuple[int, int]] = field(default_factory=list)

    def observe(self, sequence: int) -> Observation:
        """Classify ``sequence`` and update the state accordingly."""
        expected = self.next_expected
        if expected < 0:
            self.next_expected = sequence + 1
            return Observation(Verdict.FIRST, sequence, sequence)
        if sequence == expected:
            self.next_expected = sequence + 1
            return Observation(Verdict.NEXT, expected, sequence)
        if sequence > expected:
            self.next_expected = sequence + 1
            if self.conflated:
                return Observation(Verdict.NEXT, expected, sequence)
            self.missing.append((expected, sequence))
            del self.missing[: max(0, len(self.missing) - self.max_missing_ranges)]
            return Observation(Verdict.JUMP, expected, sequence, sequence - expected)
        if self._take_missing(sequence):
            return Observation(Verdict.OUT_OF_ORDER, expected, sequence)
        return Observation(Verdict.DUPLICATE, expected, sequence)

    def _take_missing(self, sequence: int) -> bool:
        index = bisect.bisect_right(self.missing, sequence, key=_start) - 1
        if index < 0:
            return False
        start, end = self.missing[index]
        if not start <= sequence < end:
            return False
        pieces = [(a, b) for a, b in ((start, sequence), (sequence + 1, end)) if a < b]
        self.missing[index : index + 1] = pieces
        return True


def _start(span: tuple[int, int]) -> int:
    return span[0]
