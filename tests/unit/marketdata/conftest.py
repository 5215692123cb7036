"""Fixtures of the market-data unit tests."""

from __future__ import annotations

import pytest
from streams.codec import AvroCodec, LocalRegistry, SchemaStore
from streams.marketdata.instruments import InstrumentRegistry, load_instruments


@pytest.fixture(scope="session")
def instruments() -> InstrumentRegistry:
    """The packaged instruments file."""
    return load_instruments()


@pytest.fixture(scope="session")
def codec() -> AvroCodec:
    """The platform codec on the local registry (strict Avro validation)."""
    store = SchemaStore.load()
    return AvroCodec(LocalRegistry(store), store)
