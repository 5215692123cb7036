"""Evolution rules: every version reads every earlier one, and the reverse; breaks are caught.

Only v1 exists in avro/ today, so the evolution cases build a v2 of md.tick in a temporary
copy of avro/. Every verdict of the static checker is cross-checked against fastavro's own
schema resolution on real data: what the checker accepts, fastavro reads; what it refuses,
fastavro either refuses too or (for the cases in ``SILENTLY_WRONG``) returns values that do
not match the reader's schema.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastavro import schemaless_reader, schemaless_writer
from fastavro.read import SchemaResolutionError
from streams.codec import (
    AvroCodec,
    FieldEncodeError,
    LocalRegistry,
    SchemaStore,
    check_compatibility,
)
from streams.codec.compatibility import reader_problems
from streams.codec.validation import Validator
from streams.errors import SchemaCompatibilityError, ValueDecodeError
from streams.resources import resource_dir
from tests.unit.codec.codec_samples import SampleBuilder

Mutation = Callable[[dict[str, Any]], None]


def _field(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in schema["fields"] if f["name"] == name)


def _add_optional(s: dict[str, Any]) -> None:
    s["fields"].append(
        {"name": "exchange_time", "type": ["null", "string"], "default": None, "doc": "v2"}
    )


def _add_required(s: dict[str, Any]) -> None:
    s["fields"].append({"name": "exchange_time", "type": "string"})


def _remove_required(s: dict[str, Any]) -> None:
    s["fields"] = [f for f in s["fields"] if f["name"] != "venue"]


def _remove_optional(s: dict[str, Any]) -> None:
    s["fields"] = [f for f in s["fields"] if f["name"] != "trade_id"]


def _change_type(s: dict[str, Any]) -> None:
    _field(s, "sequence")["type"] = "string"


def _promote(s: dict[str, Any]) -> None:
    _field(s, "sequence")["type"] = "double"


def _add_symbol(s: dict[str, Any]) -> None:
    _field(s, "kind")["type"]["symbols"].append("AUCTION")


def _add_enum_default(s: dict[str, Any]) -> None:
    _field(s, "kind")["type"]["default"] = "TRADE"


def _rename_record(s: dict[str, Any]) -> None:
    s["name"] = "MarketTick"


def _rename_with_alias(s: dict[str, Any]) -> None:
    feed = _field(s, "feed")
    feed["name"], feed["aliases"] = "feed_name", ["feed"]


def _reinterpret_as_timestamp(s: dict[str, Any]) -> None:
    _field(s, "sequence")["type"] = {"type": "long", "logicalType": "timestamp-micros"}


# name -> (mutation of v1 into v2, v2 reads v1, v1 reads v2, sample variant to write)
CASES: dict[str, tuple[Mutation, bool, bool, int]] = {
    "add optional field": (_add_optional, True, True, 0),
    "add enum default": (_add_enum_default, True, True, 0),
    "remove optional field": (_remove_optional, True, True, 0),
    "add required field": (_add_required, False, True, 0),
    "remove required field": (_remove_required, True, False, 0),
    "change field type": (_change_type, False, False, 0),
    "promote long to double": (_promote, True, False, 0),
    "add enum symbol": (_add_symbol, True, False, 2),
    "rename record": (_rename_record, False, False, 0),
    "rename field with alias": (_rename_with_alias, True, False, 0),
    "reinterpret long as timestamp": (_reinterpret_as_timestamp, False, False, 0),
}
# Incompatible by our rules; fastavro reads them without complaint into values that do not
# match the reader's schema (it applies the writer's logical type).
SILENTLY_WRONG = {"reinterpret long as timestamp"}


def _store_with_v2(tmp_path: Path, mutate: Mutation) -> SchemaStore:
    avro = tmp_path / "avro"
    shutil.copytree(resource_dir("avro"), avro)
    schema = json.loads((avro / "md.tick.v1.avsc").read_text(encoding="utf-8"))
    mutate(schema)
    (avro / "md.tick.v2.avsc").write_text(json.dumps(schema, indent=2), encoding="utf-8")
    return SchemaStore.load(avro)


def _fastavro_reads(writer: Any, reader: Any, record: dict[str, Any]) -> dict[str, Any]:
    body = io.BytesIO()
    schemaless_writer(body, writer, record)
    body.seek(0)
    value = schemaless_reader(body, writer, reader)
    assert isinstance(value, dict)
    return value


def test_the_real_schemas_are_fully_compatible(store: SchemaStore) -> None:
    check_compatibility(store)


@pytest.mark.parametrize("case", list(CASES))
def test_checker_verdicts_agree_with_fastavro(tmp_path: Path, case: str) -> None:
    mutate, backward, forward, variant = CASES[case]
    store = _store_with_v2(tmp_path, mutate)
    samples = SampleBuilder(store)
    v1, v2 = store.get("md.tick", 1), store.get("md.tick", 2)
    for reader, writer, expected in ((v2, v1, backward), (v1, v2, forward)):
        problems = reader_problems(reader.canonical, writer.canonical)
        assert (not problems) == expected, problems
        record = samples.build("md.tick", version=writer.version, variant=variant)
        if expected:
            decoded = _fastavro_reads(writer.parsed, reader.parsed, record)
            assert decoded["envelope"] == record["envelope"]
        elif case in SILENTLY_WRONG:
            decoded = _fastavro_reads(writer.parsed, reader.parsed, record)
            with pytest.raises(FieldEncodeError, match="sequence"):
                Validator(reader.canonical)(decoded)  # not what the reader's schema promises
        else:
            with pytest.raises(SchemaResolutionError):
                _fastavro_reads(writer.parsed, reader.parsed, record)
    if backward and forward:
        check_compatibility(store)
    else:
        with pytest.raises(SchemaCompatibilityError, match=r"md\.tick v\d cannot read v\d"):
            check_compatibility(store)


def test_backward_only_mode_accepts_consumer_first_changes(tmp_path: Path) -> None:
    store = _store_with_v2(tmp_path, _remove_required)
    check_compatibility(store, forward=False)
    with pytest.raises(SchemaCompatibilityError, match="venue: field is missing"):
        check_compatibility(store)


def test_breaking_changes_name_the_field(tmp_path: Path) -> None:
    store = _store_with_v2(tmp_path, _add_required)
    with pytest.raises(SchemaCompatibilityError) as info:
        check_compatibility(store)
    assert "md.tick v2 cannot read v1: exchange_time: field is missing from the writer" in str(
        info.value
    )
    store = _store_with_v2(tmp_path / "again", _change_type)
    with pytest.raises(SchemaCompatibilityError, match="sequence: type changed from long to str"):
        check_compatibility(store)


def test_v2_with_an_optional_field_reads_v1_data_and_v1_reads_v2(tmp_path: Path) -> None:
    new_store = _store_with_v2(tmp_path, _add_optional)
    old_store = SchemaStore.load(resource_dir("avro"))  # a consumer not yet upgraded
    shared = LocalRegistry(new_store)  # one registry, as with Redpanda's
    new_codec, old_codec = AvroCodec(shared, new_store), AvroCodec(shared, old_store)
    old_samples, new_samples = SampleBuilder(old_store), SampleBuilder(new_store)

    v1_tick = old_samples.build("md.tick")
    v1_data = old_codec.encode_value("md.tick", "md.tick", v1_tick)
    assert new_codec.decode_value(v1_data) == {**v1_tick, "exchange_time": None}

    v2_tick = {**new_samples.build("md.tick", version=2), "exchange_time": "09:30:00.123"}
    v2_data = new_codec.encode_value("md.tick", "md.tick", v2_tick)
    assert v2_data[1:5] != v1_data[1:5]
    assert shared.latest("md.tick-value").version == 2
    decoded = old_codec.decode_value(v2_data, "md.tick")
    assert decoded == {k: v for k, v in v2_tick.items() if k != "exchange_time"}
    assert old_codec.event_type_of(v2_data) == "md.tick"


def test_decoding_with_an_incompatible_reader_is_a_value_decode_error(tmp_path: Path) -> None:
    new_store = _store_with_v2(tmp_path, _change_type)
    old_store = SchemaStore.load(resource_dir("avro"))
    shared = LocalRegistry(new_store)
    writer = AvroCodec(shared, new_store)
    record = SampleBuilder(new_store).build("md.tick", version=2)
    data = writer.encode_value("md.tick.v2only", "md.tick", record)
    with pytest.raises(ValueDecodeError, match=r"md\.tick v1 cannot read schema id"):
        AvroCodec(shared, old_store).decode_value(data)


def test_non_standard_decimals_never_load(tmp_path: Path) -> None:
    def rescale(s: dict[str, Any]) -> None:
        _field(s, "price")["type"][1]["scale"] = 8

    with pytest.raises(Exception, match=r"decimal\(38,9\)") as info:
        _store_with_v2(tmp_path, rescale)
    assert type(info.value).__name__ == "SchemaDefinitionError"
