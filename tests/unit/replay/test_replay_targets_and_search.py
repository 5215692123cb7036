"""Pure parts of replay: parsing --to, the time search and its verification, the plan."""

from __future__ import annotations

import bisect
import random
from datetime import UTC, datetime

import pytest
from streams.errors import ConfigError
from streams.replay.plan import PartitionPlan, build_plan, clamp
from streams.replay.targets import Target, parse_target
from streams.replay.timesearch import first_offset_at_or_after, verify_time_answer


def test_parse_targets() -> None:
    assert parse_target("earliest") == Target("earliest")
    assert parse_target("latest") == Target("latest")
    assert parse_target("42") == Target("offset", offset=42)
    assert parse_target("2024-03-01T12:00:00Z") == Target(
        "time", time=datetime(2024, 3, 1, 12, tzinfo=UTC)
    )
    naive = parse_target("2024-03-01T12:00:00")
    assert naive.time == datetime(2024, 3, 1, 12, tzinfo=UTC), "no zone means UTC"


@pytest.mark.parametrize("bad", ["yesterday", "-5", "2024-13-01", ""])
def test_bad_targets_name_the_option(bad: str) -> None:
    with pytest.raises(ConfigError, match="--to"):
        parse_target(bad)


def test_time_search_matches_bisect_on_random_non_decreasing_timestamps() -> None:
    rng = random.Random(7)
    for _ in range(200):
        size = rng.randint(0, 60)
        low = rng.randint(0, 5)
        stamps = sorted(rng.randint(0, 100) for _ in range(size))
        reads: list[int] = []

        def ts(
            offset: int, stamps: list[int] = stamps, low: int = low, reads: list[int] = reads
        ) -> int:
            reads.append(offset)
            return stamps[offset - low]

        target = rng.randint(-5, 105)
        expected = low + bisect.bisect_left(stamps, target)
        assert first_offset_at_or_after(target, low, low + size, ts) == expected
        assert len(reads) <= max(1, size.bit_length() + 1), "O(log n) reads"
        assert verify_time_answer(expected, target, low, low + size, ts)
        if size and expected != low:
            assert not verify_time_answer(low, target, low, low + size, ts), (
                "the embedded broker's 'offset 0 for any time' must be caught"
            )


def test_plan_rows_and_format() -> None:
    rows = [
        PartitionPlan(topic="md.tick", partition=1, current=90, target=10, low=0, end=100),
        PartitionPlan(topic="md.tick", partition=0, current=None, target=0, low=0, end=50),
    ]
    plan = build_plan("g", Target("earliest"), rows)
    assert [p.partition for p in plan.partitions] == [0, 1]
    assert plan.total_after_target == 50 + 90
    text = plan.format()
    assert "group 'g'" in text
    assert "md.tick" in text
    assert "total records from target to end: 140" in text
    assert clamp(500, 3, 100) == 100
    assert clamp(-1, 3, 100) == 3
