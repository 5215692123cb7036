"""encode_state/decode_state: processor snapshots as plain Avro, validated like events."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
from fastavro import schemaless_writer
from streams.codec import AvroCodec, FieldEncodeError
from streams.decimals import DECIMAL_SCHEMA, q
from streams.errors import ValueDecodeError


class _Positions:
    state_schema: ClassVar[dict[str, Any]] = {
        "type": "record",
        "name": "PositionsState",
        "namespace": "tapewire.state",
        "fields": [
            {"name": "as_of", "type": {"type": "long", "logicalType": "timestamp-micros"}},
            {
                "name": "positions",
                "type": {
                    "type": "map",
                    "values": {
                        "type": "record",
                        "name": "Position",
                        "fields": [
                            {"name": "quantity", "type": DECIMAL_SCHEMA},
                            {"name": "side", "type": ["null", "tapewire.common.Side"]},
                        ],
                    },
                },
            },
            {"name": "last", "type": ["null", "Position"], "default": None},
        ],
    }


STATE = {
    "as_of": datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
    "positions": {
        "BTC-USD": {"quantity": q("1.123456789"), "side": "BUY"},
        "ETH-USD": {"quantity": q("-3"), "side": None},
    },
    "last": {"quantity": q("0.5"), "side": "SELL"},
}


def test_state_round_trips_without_a_frame(codec: AvroCodec) -> None:
    data = codec.encode_state(_Positions.state_schema, STATE)
    reference = io.BytesIO()  # a plain Avro body: no magic byte, no schema id
    schemaless_writer(reference, codec.store.parse_inline(_Positions.state_schema), STATE)
    assert data == reference.getvalue()
    assert codec.decode_state(_Positions.state_schema, data) == STATE
    assert codec.encode_state(_Positions.state_schema, STATE) == data  # deterministic


def test_state_is_validated_strictly(codec: AvroCodec) -> None:
    bad = {**STATE, "positions": {"BTC-USD": {"quantity": 1.5, "side": "BUY"}}}
    with pytest.raises(FieldEncodeError) as info:
        codec.encode_state(_Positions.state_schema, bad)
    assert info.value.field == "positions['BTC-USD'].quantity"
    with pytest.raises(FieldEncodeError, match="missing field last"):
        codec.encode_state(_Positions.state_schema, {k: v for k, v in STATE.items() if k != "last"})


def test_corrupt_state_is_a_decode_error(codec: AvroCodec) -> None:
    data = codec.encode_state(_Positions.state_schema, STATE)
    with pytest.raises(ValueDecodeError, match="truncated"):
        codec.decode_state(_Positions.state_schema, data[:-2])
    with pytest.raises(ValueDecodeError, match="trailing"):
        codec.decode_state(_Positions.state_schema, data + b"\x00")


def test_a_schema_with_the_same_content_shares_the_parse(codec: AvroCodec) -> None:
    copy = dict(_Positions.state_schema)
    data = codec.encode_state(copy, STATE)
    assert codec.decode_state(_Positions.state_schema, data) == STATE
