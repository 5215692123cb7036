"""Avro contracts, schema registries and the codec every host encodes and decodes with.

``AvroCodec.from_settings(settings)`` is the usual entry point; see docs/schemas.md.
"""

from streams.codec.codec import AvroCodec, BatchDecodeError
from streams.codec.compatibility import check_compatibility, reader_problems
from streams.codec.deadletter import dead_letter
from streams.codec.errors import (
    FieldEncodeError,
    RegistryError,
    RegistryUnavailableError,
    SchemaDefinitionError,
)
from streams.codec.registry import (
    ConfluentRegistry,
    LocalRegistry,
    RegisteredSchema,
    SchemaRegistry,
    SubjectVersion,
    registry_from_settings,
)
from streams.codec.schemas import SchemaStore, SchemaVersion

__all__ = [
    "AvroCodec",
    "BatchDecodeError",
    "ConfluentRegistry",
    "FieldEncodeError",
    "LocalRegistry",
    "RegisteredSchema",
    "RegistryError",
    "RegistryUnavailableError",
    "SchemaDefinitionError",
    "SchemaRegistry",
    "SchemaStore",
    "SchemaVersion",
    "SubjectVersion",
    "check_compatibility",
    "dead_letter",
    "reader_problems",
    "registry_from_settings",
]
