"""Finding the first offset at or after a time from the records' own timestamps.

Brokers answer ``offsets_for_times`` from their timestamp index; the embedded broker answers
offset 0 for any time. :func:`verify_time_answer` checks an answer against the records it
points at, and :func:`first_offset_at_or_after` finds the offset by binary search over the
records' timestamps (O(log n) reads). Timestamps are assumed non-decreasing within a partition
(producer CreateTime of one ordered producer, or LogAppendTime); where they are not, the
search returns a boundary where the timestamp crosses the target, which is documented.
"""

from __future__ import annotations

from collections.abc import Callable

TimestampAt = Callable[[int], int]
"""Returns the timestamp (ms) of the record at an offset (the offset must hold a record)."""


def first_offset_at_or_after(target_ms: int, low: int, end: int, timestamp_at: TimestampAt) -> int:
    """Smallest offset in [low, end) whose record timestamp >= target_ms, or ``end``."""
    lo, hi = low, end
    while lo < hi:
        mid = (lo + hi) // 2
        if timestamp_at(mid) >= target_ms:
            hi = mid
        else:
            lo = mid + 1
    return lo


def verify_time_answer(
    answer: int, target_ms: int, low: int, end: int, timestamp_at: TimestampAt
) -> bool:
    """True when ``answer`` is the first offset at or after ``target_ms``."""
    if answer < low or answer > end:
        return False
    if answer < end and timestamp_at(answer) < target_ms:
        return False
    return answer == low or timestamp_at(answer - 1) < target_ms
