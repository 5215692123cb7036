"""The codec refuses every value that does not match its schema exactly, naming the field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from streams.codec import AvroCodec, FieldEncodeError
from streams.errors import EncodeError, SchemaNotFoundError, SerializationError
from tests.unit.codec.codec_samples import SampleBuilder


def _encode(codec: AvroCodec, value: dict[str, Any], event_type: str = "md.tick") -> bytes:
    return codec.encode_value(f"t.{event_type}", event_type, value)


def _with_envelope(tick: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**tick, "envelope": {**tick["envelope"], **changes}}


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        ({"price": 101.25}, "price", "expected a Decimal"),
        ({"size": Decimal("0.0000000001")}, "size", "more than 9 decimal places"),
        ({"price": Decimal("1" * 30)}, "price", "more than 38 digits"),
        ({"price": Decimal("NaN")}, "price", "not a finite decimal"),
        ({"price": Decimal("Infinity")}, "price", "not a finite decimal"),
        ({"price": b"\x01\x02"}, "price", "expected a Decimal"),
        ({"price": "101.25"}, "price", "expected a Decimal"),
        ({"sequence": 1.0}, "sequence", "expected an integer"),
        ({"sequence": True}, "sequence", "expected an integer"),
        ({"sequence": 2**63}, "sequence", "out of range"),
        ({"sequence": "7"}, "sequence", "expected an integer"),
        ({"kind": "BOOK"}, "kind", "expected one of ['QUOTE', 'TRADE']"),
        ({"kind": None}, "kind", "expected one of"),
        ({"aggressor": "buy"}, "aggressor", "expected one of"),
        ({"instrument": None}, "instrument", "expected a str"),
        ({"instrument": b"BTC-USD"}, "instrument", "expected a str"),
        ({"extra": 1}, "extra", "unknown field extra"),
    ],
)
def test_bad_field_values_are_refused(
    codec: AvroCodec, tick: dict[str, Any], change: dict[str, Any], field: str, problem: str
) -> None:
    with pytest.raises(FieldEncodeError, match=r"md\.tick v1") as info:
        _encode(codec, {**tick, **change})
    assert info.value.field == field
    assert problem in info.value.problem
    assert isinstance(info.value, EncodeError)
    assert isinstance(info.value, SerializationError)
    assert not info.value.retriable


def test_missing_field_is_refused_even_when_it_has_a_default(
    codec: AvroCodec, tick: dict[str, Any]
) -> None:
    for name in ("venue", "trade_id"):  # trade_id is optional with a default: still required
        value = {k: v for k, v in tick.items() if k != name}
        with pytest.raises(FieldEncodeError, match=f"missing field {name}") as info:
            _encode(codec, value)
        assert info.value.field == name


def test_naive_and_non_datetime_timestamps_are_refused(
    codec: AvroCodec, tick: dict[str, Any]
) -> None:
    naive = datetime(2024, 1, 1, 12, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(FieldEncodeError, match="naive datetime") as info:
        _encode(codec, _with_envelope(tick, event_time=naive))
    assert info.value.field == "envelope.event_time"
    with pytest.raises(FieldEncodeError, match="timezone-aware datetime") as info:
        _encode(codec, _with_envelope(tick, ingest_time=1_700_000_000_000_000))
    assert info.value.field == "envelope.ingest_time"


def test_nested_record_problems_name_the_full_path(codec: AvroCodec, tick: dict[str, Any]) -> None:
    with pytest.raises(FieldEncodeError) as info:
        _encode(codec, _with_envelope(tick, source={"agent": "a"}))
    assert info.value.field == "envelope.source.version"
    with pytest.raises(FieldEncodeError) as info:
        _encode(codec, _with_envelope(tick, schema_version=2**31))
    assert info.value.field == "envelope.schema_version"


def test_arrays_and_maps_name_the_element(codec: AvroCodec, samples: SampleBuilder) -> None:
    decision = samples.build("risk.decision")
    reasons = [dict(decision["reasons"][0]), {**decision["reasons"][1], "limit": 1.0}]
    with pytest.raises(FieldEncodeError) as info:
        _encode(codec, {**decision, "reasons": reasons}, "risk.decision")
    assert info.value.field == "reasons[1].limit"
    advice = samples.build("ml.advice")
    with pytest.raises(FieldEncodeError) as info:
        _encode(codec, {**advice, "features": {"momentum": Decimal(1)}}, "ml.advice")
    assert info.value.field == "features['momentum']"
    assert "expected a float" in info.value.problem


def test_date_fields_want_a_date_not_a_datetime(codec: AvroCodec, samples: SampleBuilder) -> None:
    pnl = samples.build("pnl.update")
    assert isinstance(pnl["trading_day"], date)
    with pytest.raises(FieldEncodeError) as info:
        _encode(codec, {**pnl, "trading_day": datetime(2024, 1, 2, tzinfo=UTC)}, "pnl.update")
    assert info.value.field == "trading_day"


def test_value_must_be_a_dict(codec: AvroCodec, tick: dict[str, Any]) -> None:
    with pytest.raises(FieldEncodeError, match="expected a dict"):
        _encode(codec, list(tick.items()))  # type: ignore[arg-type]


def test_unknown_event_type_is_a_serialization_error(
    codec: AvroCodec, tick: dict[str, Any]
) -> None:
    with pytest.raises(SchemaNotFoundError, match=r"md\.nope"):
        codec.encode_value("md.tick", "md.nope", tick)


def test_keys_must_be_strings(codec: AvroCodec) -> None:
    with pytest.raises(EncodeError, match="keys are strings"):
        codec.encode_key("md.tick", 42)  # type: ignore[arg-type]


def test_a_refused_value_does_not_poison_the_codec(codec: AvroCodec, tick: dict[str, Any]) -> None:
    with pytest.raises(FieldEncodeError):
        _encode(codec, {**tick, "price": 1.0})
    assert codec.decode_value(_encode(codec, tick)) == tick
