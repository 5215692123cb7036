"""dead_letter(): a lossless, deterministic system.deadletter event plus filterable headers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from streams.codec import AvroCodec, dead_letter
from streams.codec.deadletter import MAX_MESSAGE_CHARS
from streams.errors import ProcessingError, ValueDecodeError

NOW = datetime(2024, 5, 6, 7, 8, 9, 123_456, tzinfo=UTC)


def _decode_failure() -> ValueDecodeError:
    try:
        try:
            raise EOFError("Expected 7 bytes, read 2")
        except EOFError as exc:
            raise ValueDecodeError("md.tick: corrupt or truncated body") from exc
    except ValueDecodeError as err:
        return err


def test_value_keeps_origin_error_and_raw_bytes(codec: AvroCodec) -> None:
    raw_key, raw_value = b"\x00\x00\x00\x00\x02\x0eBTC-USD", b"\x00\x00\x00\x00\x01\xff\xfe"
    key, value, _ = dead_letter(
        "md.tick", 3, 4711, 1_714_979_289_000, raw_key, raw_value, _decode_failure(), "bars", NOW
    )
    assert key == raw_key
    assert value["origin_topic"] == "md.tick"
    assert (value["origin_partition"], value["origin_offset"]) == (3, 4711)
    assert value["origin_timestamp"] == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert value["error_class"] == "streams.errors.ValueDecodeError"
    assert value["error_message"] == (
        "md.tick: corrupt or truncated body <- caused by EOFError: Expected 7 bytes, read 2"
    )
    assert (value["key"], value["value"]) == (raw_key, raw_value)
    assert value["agent"] == "bars"
    env = value["envelope"]
    assert (env["event_type"], env["schema_version"]) == ("system.deadletter", 1)
    assert env["event_time"] == env["ingest_time"] == NOW
    assert env["source"]["agent"] == "bars"
    # the host encodes it with the codec like any other event, and it round-trips
    data = codec.encode_value("system.deadletter", "system.deadletter", value)
    assert codec.decode_value(data, "system.deadletter") == value


def test_headers_carry_the_error_and_origin() -> None:
    _, _, headers = dead_letter(
        "order.event", 0, 12, None, None, b"x", ProcessingError("fill > order"), "orders", NOW
    )
    assert headers == [
        ("tapewire.error.class", b"streams.errors.ProcessingError"),
        ("tapewire.error.message", b"fill > order"),
        ("tapewire.origin.topic", b"order.event"),
        ("tapewire.origin.partition", b"0"),
        ("tapewire.origin.offset", b"12"),
        ("tapewire.agent", b"orders"),
    ]


def test_event_id_is_derived_from_the_origin() -> None:
    def event_id(topic: str, partition: int, offset: int, when: datetime) -> str:
        _, value, _ = dead_letter(
            topic, partition, offset, None, None, None, ValueError(), "a", when
        )
        return str(value["envelope"]["event_id"])

    first = event_id("md.tick", 1, 10, NOW)
    assert event_id("md.tick", 1, 10, datetime(2030, 1, 1, tzinfo=UTC)) == first  # a replay
    assert len({first, event_id("md.tick", 1, 11, NOW), event_id("md.tick", 2, 10, NOW)}) == 3
    assert event_id("md.bar", 1, 10, NOW) != first


def test_missing_key_value_and_timestamp(codec: AvroCodec) -> None:
    key, value, _ = dead_letter("t", 0, 0, -1, None, None, KeyError("k"), "a", NOW)
    assert key is None
    assert (value["key"], value["value"], value["origin_timestamp"]) == (None, None, None)
    assert value["error_message"] == "'k'"
    codec.encode_value("system.deadletter", "system.deadletter", value)


def test_long_messages_are_cut(codec: AvroCodec) -> None:
    _, value, headers = dead_letter("t", 0, 0, 0, b"k", b"v", RuntimeError("x" * 10_000), "a", NOW)
    assert len(value["error_message"]) == MAX_MESSAGE_CHARS
    assert value["error_message"].endswith("...")
    assert dict(headers)["tapewire.error.message"] == value["error_message"].encode()
    assert (value["key"], value["value"]) == (b"k", b"v")
    codec.encode_value("system.deadletter", "system.deadletter", value)


def test_now_must_be_aware() -> None:
    naive = datetime(2024, 1, 1)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="timezone-aware"):
        dead_letter("t", 0, 0, None, None, None, RuntimeError(), "a", naive)
