"""Loading avro/: shared types, canonical expansion, fingerprints and clear errors."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import fastavro
import pytest
from streams.codec import SchemaDefinitionError, SchemaStore
from streams.errors import ConfigError, SchemaNotFoundError
from streams.resources import resource_dir
from tests.unit.codec.codec_samples import SampleBuilder

AVRO = resource_dir("avro")


def _copy_avro(tmp_path: Path) -> Path:
    target = tmp_path / "avro"
    shutil.copytree(AVRO, target)
    return target


def test_every_event_file_is_loaded(store: SchemaStore) -> None:
    files = {p.name for p in AVRO.glob("*.avsc")} - {"envelope.v1.avsc", "common.v1.avsc"}
    loaded = {f"{sv.event_type}.v{sv.version}.avsc" for sv in store.all_versions()}
    assert loaded == files
    assert {"md.tick", "order.event", "system.deadletter"} <= set(store.event_types())


def test_canonical_form_is_self_contained_and_parses_alone(store: SchemaStore) -> None:
    for sv in store.all_versions():
        tree = json.loads(sv.canonical)
        assert tree["fields"][0]["name"] == "envelope"
        assert tree["fields"][0]["type"]["name"] == "tapewire.common.Envelope"
        assert "namespace" not in sv.canonical
        fastavro.parse_schema(tree)  # no named_schemas needed
        assert sv.record_name == tree["name"]
        assert store.event_type_of_record(sv.record_name) == sv.event_type


def test_shared_enums_are_inlined_once_then_referenced(store: SchemaStore) -> None:
    tree = json.loads(store.latest("strategy.intent").canonical)
    by_name = {f["name"]: f["type"] for f in tree["fields"]}
    assert by_name["side"]["name"] == "tapewire.common.Side"
    assert by_name["side"]["symbols"] == ["BUY", "SELL"]
    assert by_name["time_in_force"]["name"] == "tapewire.common.TimeInForce"


def test_a_reused_named_type_is_defined_once(store: SchemaStore) -> None:
    schema = {
        "type": "record",
        "name": "State",
        "namespace": "tapewire.test",
        "fields": [
            {"name": "entry", "type": "tapewire.common.Side"},
            {"name": "exit", "type": "tapewire.common.Side"},
        ],
    }
    tree = json.loads(store.expand_inline(schema))
    assert tree["name"] == "tapewire.test.State"
    assert tree["fields"][0]["type"]["type"] == "enum"
    assert tree["fields"][1]["type"] == "tapewire.common.Side"
    assert store.parse_inline(schema) is store.parse_inline(dict(schema))  # cached by content


def test_canonical_and_fingerprint_ignore_formatting(tmp_path: Path, store: SchemaStore) -> None:
    avro = _copy_avro(tmp_path)
    tick = avro / "md.tick.v1.avsc"
    tick.write_text(json.dumps(json.loads(tick.read_text()), indent=7), encoding="utf-8")
    other = SchemaStore.load(avro)
    assert other.latest("md.tick").canonical == store.latest("md.tick").canonical
    assert other.latest("md.tick").fingerprint == store.latest("md.tick").fingerprint
    assert other.by_fingerprint(store.latest("md.tick").fingerprint) is not None


def test_lookups_of_unknown_types_and_versions(store: SchemaStore) -> None:
    with pytest.raises(SchemaNotFoundError, match=r"md\.nope"):
        store.latest("md.nope")
    with pytest.raises(SchemaNotFoundError, match="no version 9"):
        store.get("md.tick", 9)
    assert store.versions("md.tick") == [1]


@pytest.mark.parametrize(
    ("file_name", "content", "message"),
    [
        ("md.tick.v1.avsc", "{not json", "cannot read schema"),
        ("md.weird.avsc", "{}", "expected a name like"),
        ("md.enum.v1.avsc", '{"type": "enum", "name": "E", "symbols": ["A"]}', "must be a record"),
        (
            "md.noenv.v1.avsc",
            '{"type": "record", "name": "N", "fields": [{"name": "x", "type": "int"}]}',
            "first field must be 'envelope'",
        ),
        (
            "md.ownenv.v1.avsc",
            '{"type": "record", "name": "O", "fields": [{"name": "envelope", "type": "string"}]}',
            "first field must be 'envelope' of type tapewire.common.Envelope",
        ),
        (
            "md.unknown.v1.avsc",
            '{"type": "record", "name": "U", "fields": ['
            '{"name": "envelope", "type": "tapewire.common.Envelope"},'
            '{"name": "x", "type": "tapewire.common.Nope"}]}',
            "unknown type 'tapewire.common.Nope'",
        ),
        (
            "md.twice.v1.avsc",
            '{"type": "record", "name": "T", "fields": ['
            '{"name": "envelope", "type": "tapewire.common.Envelope"},'
            '{"name": "a", "type": {"type": "enum", "name": "E", "symbols": ["A"]}},'
            '{"name": "b", "type": {"type": "enum", "name": "E", "symbols": ["B"]}}]}',
            "defined twice",
        ),
        (
            "md.badtype.v1.avsc",
            '{"type": "record", "name": "B", "fields": ['
            '{"name": "envelope", "type": "tapewire.common.Envelope"},'
            '{"name": "x", "type": ["null", {"type": "bytes", "logicalType": "decimal",'
            ' "precision": 18, "scale": 2}]}]}',
            r"decimals must be decimal\(38,9\) \(streams.decimals\): x",
        ),
        (
            "md.nosymbols.v1.avsc",
            '{"type": "record", "name": "S", "fields": ['
            '{"name": "envelope", "type": "tapewire.common.Envelope"},'
            '{"name": "x", "type": {"type": "enum", "name": "E"}}]}',
            "invalid Avro schema",
        ),
        ("envelope.v2.avsc", "{}", "keep one version of envelope"),
    ],
)
def test_broken_files_fail_with_the_file_named(
    tmp_path: Path, file_name: str, content: str, message: str
) -> None:
    avro = _copy_avro(tmp_path)
    (avro / file_name).write_text(content, encoding="utf-8")
    with pytest.raises(SchemaDefinitionError, match=message) as info:
        SchemaStore.load(avro)
    if "." in file_name.removesuffix(".avsc").split(".v")[0] and "weird" not in file_name:
        assert file_name in str(info.value)


def test_record_names_belong_to_one_event_type(tmp_path: Path) -> None:
    avro = _copy_avro(tmp_path)
    shutil.copy(avro / "md.tick.v1.avsc", avro / "md.tick2.v1.avsc")
    with pytest.raises(SchemaDefinitionError, match=r"used by both md\.tick and md\.tick2"):
        SchemaStore.load(avro)


def test_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SchemaDefinitionError, match="no event schemas"):
        SchemaStore.load(tmp_path)


def test_resource_dir_prefers_the_checkout_then_the_package(tmp_path: Path) -> None:
    package = tmp_path / "site" / "streams"
    packaged: dict[str, Any] = {}
    for name in ("avro", "topics", "sql"):
        packaged[name] = package / "_resources" / name
        packaged[name].mkdir(parents=True)
        assert resource_dir(name, package_dir=package) == packaged[name]
    (tmp_path / "site" / "avro").mkdir()
    assert resource_dir("avro", package_dir=package) == tmp_path / "site" / "avro"


def test_resource_dir_names_both_places_when_missing(tmp_path: Path) -> None:
    package = tmp_path / "streams"
    with pytest.raises(ConfigError, match=r"resources\.sql") as info:
        resource_dir("sql", package_dir=package)
    assert str(package / "_resources" / "sql") in str(info.value)
    assert str(tmp_path / "sql") in str(info.value)


def test_resource_dir_finds_this_checkout() -> None:
    assert (resource_dir("avro") / "envelope.v1.avsc").is_file()
    assert resource_dir("avro").parent == Path(__file__).resolve().parents[3]


def test_expansion_means_what_fastavro_resolution_means(
    store: SchemaStore, samples: SampleBuilder
) -> None:
    """fastavro resolving the same files with named_schemas writes the very same bytes."""
    named: dict[str, Any] = {}
    fastavro.parse_schema(json.loads((AVRO / "envelope.v1.avsc").read_text()), named)
    for enum in json.loads((AVRO / "common.v1.avsc").read_text()):
        fastavro.parse_schema(enum, named)
    for sv in store.all_versions():
        assert sv.path is not None
        theirs = fastavro.parse_schema(json.loads(sv.path.read_text()), dict(named))
        for variant in range(samples.variants(sv.event_type)):
            record = samples.build(sv.event_type, version=sv.version, variant=variant)
            ours_body, their_body = io.BytesIO(), io.BytesIO()
            fastavro.schemaless_writer(ours_body, sv.parsed, record)
            fastavro.schemaless_writer(their_body, theirs, record)
            assert ours_body.getvalue() == their_body.getvalue(), sv.event_type
