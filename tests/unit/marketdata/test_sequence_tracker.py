"""SequenceTracker: verdicts and the bounded memory of skipped ranges."""

from __future__ import annotations

from streams.marketdata.sequences import SequenceTracker, Verdict


def verdicts(tracker: SequenceTracker, sequences: list[int]) -> list[Verdict]:
    return [tracker.observe(s).verdict for s in sequences]


def test_late_arrivals_split_the_skipped_range() -> None:
    tracker = SequenceTracker(max_missing_ranges=8)
    assert verdicts(tracker, [3, 4, 10]) == [Verdict.FIRST, Verdict.NEXT, Verdict.JUMP]
    assert tracker.missing == [(5, 10)]
    assert verdicts(tracker, [7, 5, 9]) == [Verdict.OUT_OF_ORDER] * 3
    assert tracker.missing == [(6, 7), (8, 9)]
    assert verdicts(tracker, [7, 6, 8, 8, 2]) == [
        Verdict.DUPLICATE,
        Verdict.OUT_OF_ORDER,
        Verdict.OUT_OF_ORDER,
        Verdict.DUPLICATE,
        Verdict.DUPLICATE,
    ]
    assert tracker.missing == []


def test_jump_reports_how_many_were_skipped() -> None:
    tracker = SequenceTracker(max_missing_ranges=8)
    tracker.observe(1)
    observation = tracker.observe(1_000_001)
    assert (observation.expected, observation.received, observation.missing_count) == (
        2,
        1_000_001,
        999_999,
    )
    assert tracker.missing == [(2, 1_000_001)]  # one range, however long the jump


def test_memory_keeps_only_the_newest_ranges() -> None:
    tracker = SequenceTracker(max_missing_ranges=3)
    verdicts(tracker, [0, 2, 4, 6, 8, 10])
    assert tracker.missing == [(5, 6), (7, 8), (9, 10)]


def test_conflated_feed_never_remembers_skips() -> None:
    tracker = SequenceTracker(max_missing_ranges=3, conflated=True)
    assert verdicts(tracker, [10, 15, 15, 12, 16]) == [
        Verdict.FIRST,
        Verdict.NEXT,
        Verdict.DUPLICATE,
        Verdict.DUPLICATE,
        Verdict.NEXT,
    ]
    assert tracker.missing == []
