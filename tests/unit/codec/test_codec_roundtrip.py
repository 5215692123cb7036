"""Every schema in avro/ round-trips through the codec with realistic records."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastavro import schemaless_reader, schemaless_writer
from streams.codec import AvroCodec, SchemaStore
from streams.codec.codec import header
from streams.decimals import q
from tests.unit.codec.codec_samples import SampleBuilder

ALL_VERSIONS = [(sv.event_type, sv.version) for sv in SchemaStore.load().all_versions()]


def _decimals(value: Any) -> list[Decimal]:
    if isinstance(value, Decimal):
        return [value]
    if isinstance(value, dict):
        return [d for v in value.values() for d in _decimals(v)]
    if isinstance(value, list):
        return [d for v in value for d in _decimals(v)]
    return []


def _datetimes(value: Any) -> list[datetime]:
    if isinstance(value, datetime):
        return [value]
    if isinstance(value, dict):
        return [d for v in value.values() for d in _datetimes(v)]
    if isinstance(value, list):
        return [d for v in value for d in _datetimes(v)]
    return []


@pytest.mark.parametrize(("event_type", "version"), ALL_VERSIONS, ids=str)
def test_every_variant_of_every_schema_round_trips(
    codec: AvroCodec, samples: SampleBuilder, event_type: str, version: int
) -> None:
    assert codec.store.latest(event_type).version == version, "only the latest is written"
    for nulls in (False, True):
        for variant in range(samples.variants(event_type)):
            record = samples.build(event_type, variant=variant, nulls=nulls)
            data = codec.encode_value(f"t.{event_type}", event_type, record)
            decoded = codec.decode_value(data, event_type)
            assert decoded == record, (variant, nulls)
            assert codec.event_type_of(data) == event_type
            # decimals come back at the platform scale, timestamps as aware UTC datetimes
            assert all(d.as_tuple().exponent == -9 for d in _decimals(decoded))
            assert all(t.tzinfo is UTC for t in _datetimes(decoded))


@pytest.mark.parametrize(("event_type", "version"), ALL_VERSIONS, ids=str)
def test_body_is_exactly_what_fastavro_writes(
    codec: AvroCodec, samples: SampleBuilder, store: SchemaStore, event_type: str, version: int
) -> None:
    record = samples.build(event_type)
    parsed = store.get(event_type, version).parsed
    reference = io.BytesIO()
    schemaless_writer(reference, parsed, record)
    data = codec.encode_value("topic", event_type, record)
    schema_id = codec.registry.register("topic-value", store.get(event_type, version).canonical)
    assert data == header(schema_id) + reference.getvalue()
    assert schemaless_reader(io.BytesIO(data[5:]), parsed, None) == record


def test_frame_layout_is_magic_zero_then_big_endian_id(
    codec: AvroCodec, tick: dict[str, Any]
) -> None:
    data = codec.encode_value("md.tick", "md.tick", tick)
    schema_id = codec.registry.latest("md.tick-value").schema.schema_id
    assert data[0] == 0
    assert int.from_bytes(data[1:5], "big") == schema_id
    assert codec.registry.by_id(schema_id).name == "tapewire.md.Tick"


def test_full_scale_and_extreme_decimals_survive(codec: AvroCodec, tick: dict[str, Any]) -> None:
    extremes = [
        q("0.000000001"),
        q("-0.000000001"),
        q("99999999999999999999999999999.999999999"),
        q("-99999999999999999999999999999.999999999"),
        q(0),
        Decimal("1.5"),  # fewer places than the scale is fine; it comes back quantized
    ]
    for value in extremes:
        data = codec.encode_value("md.tick", "md.tick", {**tick, "price": value})
        decoded = codec.decode_value(data)["price"]
        assert decoded == value
        assert str(decoded) == str(q(value))


def test_non_utc_timestamps_come_back_as_the_same_instant_in_utc(
    codec: AvroCodec, samples: SampleBuilder
) -> None:
    record = samples.build("md.tick", variant=3)  # variant 3 uses a +02:00 time
    sent = record["envelope"]["event_time"]
    assert sent.utcoffset() != UTC.utcoffset(None)
    decoded = codec.decode_value(codec.encode_value("md.tick", "md.tick", record))
    received = decoded["envelope"]["event_time"]
    assert received == sent
    assert received.tzinfo is UTC


def test_decode_values_batch_matches_single_decodes(
    codec: AvroCodec, samples: SampleBuilder
) -> None:
    records = [samples.build("md.tick", variant=v) for v in range(4)]
    records += [samples.build("md.bar", variant=1)]
    framed = [
        codec.encode_value(f"t.{r['envelope']['event_type']}", r["envelope"]["event_type"], r)
        for r in records
    ]
    assert codec.decode_values(framed) == records
    assert codec.decode_values(framed[:4], "md.tick") == records[:4]
    assert codec.decode_values([]) == []


def test_keys_round_trip_and_match_fastavro_string_encoding(codec: AvroCodec) -> None:
    for key in ("BTC-USD", "", "Zürich ✓ 東京", "k" * 1000):
        data = codec.encode_key("md.tick", key)
        assert data is not None
        reference = io.BytesIO()
        schemaless_writer(reference, "string", key)
        assert data[5:] == reference.getvalue()
        assert data[0] == 0
        assert codec.decode_key(data) == key
    assert codec.encode_key("md.tick", None) is None
    assert codec.decode_key(None) is None


def test_key_and_value_subjects_are_registered_per_topic(
    codec: AvroCodec, tick: dict[str, Any]
) -> None:
    codec.encode_value("prod.md.tick", "md.tick", tick)
    codec.encode_key("prod.md.tick", "BTC-USD")
    registry = codec.registry
    assert registry.latest("prod.md.tick-value").schema.name == "tapewire.md.Tick"
    assert registry.latest("prod.md.tick-key").schema.parsed == "string"
