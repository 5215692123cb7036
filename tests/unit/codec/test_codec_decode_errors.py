"""Undecodable bytes raise typed, distinct key and value errors."""

from __future__ import annotations

from typing import Any

import pytest
from streams.codec import AvroCodec, BatchDecodeError
from streams.codec.codec import header
from streams.errors import KeyDecodeError, SerializationError, ValueDecodeError
from tests.unit.codec.codec_samples import SampleBuilder


@pytest.fixture
def framed_tick(codec: AvroCodec, tick: dict[str, Any]) -> bytes:
    return codec.encode_value("md.tick", "md.tick", tick)


@pytest.mark.parametrize("data", [b"", b"\x00", b"\x00\x00\x00\x01"], ids=["empty", "1", "4"])
def test_too_short_for_a_frame(codec: AvroCodec, data: bytes) -> None:
    with pytest.raises(ValueDecodeError, match="not a Confluent-framed"):
        codec.decode_value(data)
    with pytest.raises(KeyDecodeError, match="not a Confluent-framed"):
        codec.decode_key(data)


def test_bad_magic_byte(codec: AvroCodec, framed_tick: bytes) -> None:
    with pytest.raises(ValueDecodeError, match="magic byte 1"):
        codec.decode_value(b"\x01" + framed_tick[1:])
    with pytest.raises(ValueDecodeError, match="magic byte 123"):
        codec.decode_value(b'{"json": true}')


def test_unknown_schema_id(codec: AvroCodec, framed_tick: bytes) -> None:
    with pytest.raises(ValueDecodeError, match="unknown writer schema id 7"):
        codec.decode_value(header(7) + framed_tick[5:])
    with pytest.raises(KeyDecodeError, match="unknown key schema id 7"):
        codec.decode_key(header(7) + b"\x02a")


def test_every_truncation_of_a_body_is_refused(codec: AvroCodec, framed_tick: bytes) -> None:
    for cut in range(5, len(framed_tick)):
        with pytest.raises(ValueDecodeError, match=r"md\.tick"):
            codec.decode_value(framed_tick[:cut])


def test_trailing_bytes_are_refused(codec: AvroCodec, framed_tick: bytes) -> None:
    with pytest.raises(ValueDecodeError, match="1 trailing bytes"):
        codec.decode_value(framed_tick + b"\x00")


def test_garbage_body_is_refused(codec: AvroCodec, framed_tick: bytes) -> None:
    with pytest.raises(ValueDecodeError):
        codec.decode_value(framed_tick[:5] + b"\xff" * 40)


def test_event_type_mismatch(codec: AvroCodec, framed_tick: bytes) -> None:
    with pytest.raises(ValueDecodeError, match=r"is a md\.tick, expected md\.bar"):
        codec.decode_value(framed_tick, "md.bar")


def test_key_schema_id_on_a_value_and_value_id_on_a_key(
    codec: AvroCodec, framed_tick: bytes
) -> None:
    key = codec.encode_key("md.tick", "BTC-USD")
    assert key is not None
    with pytest.raises(ValueDecodeError, match="not a record"):
        codec.decode_value(key)
    with pytest.raises(KeyDecodeError, match="not an Avro string"):
        codec.decode_key(framed_tick)


def test_corrupt_keys(codec: AvroCodec) -> None:
    key = codec.encode_key("md.tick", "BTC-USD")
    assert key is not None
    with pytest.raises(KeyDecodeError, match="does not match"):
        codec.decode_key(key[:-1])
    with pytest.raises(KeyDecodeError, match="does not match"):
        codec.decode_key(key + b"!")
    with pytest.raises(KeyDecodeError, match="UTF-8"):
        codec.decode_key(key[:5] + b"\x04\xff\xfe")
    with pytest.raises(KeyDecodeError, match="truncated"):
        codec.decode_key(key[:5] + b"\x80")


def test_key_and_value_errors_are_distinct_serialization_errors() -> None:
    assert issubclass(KeyDecodeError, SerializationError)
    assert issubclass(ValueDecodeError, SerializationError)
    assert not issubclass(KeyDecodeError, ValueDecodeError)
    assert not issubclass(ValueDecodeError, KeyDecodeError)


def test_batch_decode_reports_the_failing_index(codec: AvroCodec, samples: SampleBuilder) -> None:
    good = [
        codec.encode_value("md.tick", "md.tick", samples.build("md.tick", variant=v))
        for v in range(3)
    ]
    batch = [good[0], good[1], good[2][:-3], good[0]]
    with pytest.raises(BatchDecodeError) as info:
        codec.decode_values(batch)
    assert info.value.index == 2
    assert isinstance(info.value, ValueDecodeError)
    assert isinstance(info.value.__cause__, ValueDecodeError)
    assert codec.decode_values(batch[info.value.index + 1 :]) == [samples.build("md.tick")]


def test_decode_errors_chain_the_library_error(codec: AvroCodec, framed_tick: bytes) -> None:
    with pytest.raises(ValueDecodeError) as info:
        codec.decode_value(framed_tick[:20])
    assert info.value.__cause__ is not None
    assert not isinstance(info.value.__cause__, SerializationError)
