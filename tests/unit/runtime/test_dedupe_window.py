"""The bounded de-duplicator consumers use to drop re-emitted outputs."""

from __future__ import annotations

import pytest
from streams.codec import AvroCodec
from streams.runtime.dedupe import STATE_SCHEMA, Deduplicator


def test_first_time_then_duplicate() -> None:
    dedupe = Deduplicator(capacity=10)
    assert dedupe.first_time("a")
    assert not dedupe.first_time("a")
    assert dedupe.first_time_event({"envelope": {"event_id": "b"}})
    assert dedupe.duplicates == 1
    assert "a" in dedupe
    assert len(dedupe) == 2


def test_the_window_evicts_the_least_recently_seen() -> None:
    dedupe = Deduplicator(capacity=2)
    dedupe.first_time("a")
    dedupe.first_time("b")
    assert not dedupe.first_time("a"), "seen again: a becomes the most recent"
    dedupe.first_time("c")
    assert "b" not in dedupe
    assert "a" in dedupe
    assert dedupe.first_time("b")


def test_snapshot_restore_through_avro(codec: AvroCodec) -> None:
    dedupe = Deduplicator(capacity=3)
    for event_id in ("a", "b", "c", "d"):
        dedupe.first_time(event_id)
    state = codec.decode_state(STATE_SCHEMA, codec.encode_state(STATE_SCHEMA, dedupe.snapshot()))
    restored = Deduplicator()
    restored.restore(state)
    assert restored.capacity == 3
    assert not restored.first_time("d")
    assert restored.first_time("a")


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Deduplicator(capacity=0)
