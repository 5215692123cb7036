"""The local registry: deterministic ids, subjects, compatibility on register."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from streams.codec import LocalRegistry, RegistryError, SchemaStore, registry_from_settings
from streams.codec.registry import KEY_SCHEMA, ConfluentRegistry, deterministic_id
from streams.errors import SchemaCompatibilityError, SchemaNotFoundError
from streams.resources import resource_dir
from streams.settings import load_settings


def test_ids_are_derived_from_the_canonical_schema(store: SchemaStore) -> None:
    first = LocalRegistry(store)
    second = LocalRegistry(SchemaStore.load())  # another process, same files
    for sv in store.all_versions():
        digest = hashlib.sha256(sv.canonical.encode()).digest()
        expected = int.from_bytes(digest[:8], "big") % (2**31 - 1) + 1
        assert deterministic_id(sv.canonical) == expected
        assert first.by_id(expected).schema_json == sv.canonical
        assert second.by_id(expected).schema_json == sv.canonical
        assert 1 <= expected < 2**31


def test_ids_are_distinct_across_all_schemas(store: SchemaStore) -> None:
    ids = {deterministic_id(sv.canonical) for sv in store.all_versions()}
    ids.add(deterministic_id(KEY_SCHEMA))
    assert len(ids) == len(store.all_versions()) + 1


def test_whitespace_does_not_change_the_id(registry: LocalRegistry, store: SchemaStore) -> None:
    canonical = store.latest("md.bar").canonical
    pretty = json.dumps(json.loads(canonical), indent=2)
    assert registry.register("bars-value", pretty) == registry.register("bars-value", canonical)
    assert registry.latest("bars-value").version == 1


def test_subjects_keep_versions_and_refuse_incompatible_schemas(
    registry: LocalRegistry, store: SchemaStore
) -> None:
    tick = store.latest("md.tick").canonical
    first = registry.register("ticks-value", tick)
    assert registry.latest("ticks-value").schema.schema_id == first
    tree = json.loads(tick)
    tree["fields"].append({"name": "note", "type": ["null", "string"], "default": None})
    second = registry.register("ticks-value", json.dumps(tree))
    assert second != first
    latest = registry.latest("ticks-value")
    assert (latest.version, latest.schema.schema_id) == (2, second)
    tree["fields"].append({"name": "venue_ts", "type": "long"})  # no default: breaking
    with pytest.raises(SchemaCompatibilityError, match="venue_ts"):
        registry.register("ticks-value", json.dumps(tree))
    with pytest.raises(SchemaCompatibilityError, match="name changed"):
        registry.register("ticks-value", store.latest("md.bar").canonical)
    assert registry.latest("ticks-value").version == 2


def test_unknown_ids_and_subjects(registry: LocalRegistry) -> None:
    with pytest.raises(SchemaNotFoundError, match="id 12345"):
        registry.by_id(12345)
    with pytest.raises(SchemaNotFoundError, match="nothing-value"):
        registry.latest("nothing-value")


def test_registering_invalid_json_is_a_registry_error(registry: LocalRegistry) -> None:
    with pytest.raises(RegistryError, match="not valid JSON"):
        registry.register("x-value", "{nope")


def test_schema_names(registry: LocalRegistry, store: SchemaStore) -> None:
    tick = registry.by_id(deterministic_id(store.latest("md.tick").canonical))
    assert tick.name == "tapewire.md.Tick"
    assert registry.by_id(deterministic_id(KEY_SCHEMA)).name is None


def test_factory_picks_the_registry_from_settings(tmp_path: Path) -> None:
    avro = tmp_path / "avro"
    shutil.copytree(resource_dir("avro"), avro)
    store = SchemaStore.load(avro)
    local = registry_from_settings(load_settings(schema_registry_url=None), store)
    assert isinstance(local, LocalRegistry)
    assert local.store is store
    remote = registry_from_settings(load_settings(schema_registry_url="http://127.0.0.1:8081/"))
    assert isinstance(remote, ConfluentRegistry)
    assert remote.url == "http://127.0.0.1:8081"


def test_confluent_registry_url_must_be_http() -> None:
    with pytest.raises(RegistryError, match="http"):
        ConfluentRegistry("file:///etc/passwd")
    with pytest.raises(RegistryError, match="http"):
        ConfluentRegistry("localhost:8081")
