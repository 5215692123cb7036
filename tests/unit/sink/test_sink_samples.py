"""The sample events match the Avro contracts exactly (the codec validates strictly)."""

from __future__ import annotations

from datetime import UTC, datetime

from streams.codec import AvroCodec
from streams.settings import load_settings
from streams.sink.samples import sample_events, tick_stream

START = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


def test_every_sample_event_encodes_and_round_trips() -> None:
    codec = AvroCodec.from_settings(load_settings())
    events = sample_events(START, minutes=3)
    for event in [*events, *tick_stream(START, 5)]:
        event_type = event["envelope"]["event_type"]
        data = codec.encode_value(f"sample.{event_type}", event_type, event)
        assert codec.decode_value(data) == event


def test_samples_are_deterministic_and_in_event_time_order() -> None:
    first = sample_events(START, minutes=2)
    assert first == sample_events(START, minutes=2)
    times = [e["envelope"]["event_time"] for e in first]
    assert times == sorted(times)
    assert len({e["envelope"]["event_id"] for e in first}) == len(first)
