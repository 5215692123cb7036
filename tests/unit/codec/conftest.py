"""Fixtures of the codec tests: the real schema store, a local codec and sample records."""

from __future__ import annotations

from typing import Any

import pytest
from streams.codec import AvroCodec, LocalRegistry, SchemaStore
from tests.unit.codec.codec_samples import SampleBuilder


@pytest.fixture(scope="session")
def store() -> SchemaStore:
    return SchemaStore.load()


@pytest.fixture
def registry(store: SchemaStore) -> LocalRegistry:
    return LocalRegistry(store)


@pytest.fixture
def codec(registry: LocalRegistry, store: SchemaStore) -> AvroCodec:
    return AvroCodec(registry, store)


@pytest.fixture(scope="session")
def samples(store: SchemaStore) -> SampleBuilder:
    return SampleBuilder(store)


@pytest.fixture
def tick(samples: SampleBuilder) -> dict[str, Any]:
    """A realistic trade tick (every optional field set)."""
    return samples.build("md.tick", variant=0)
