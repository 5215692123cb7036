"""The Avro codec: strict encoding, Confluent framing, writer -> reader schema resolution.

Wire format of every key and value (the Confluent wire format)::

    byte 0      magic byte 0
    bytes 1-4   schema id, big-endian unsigned 32-bit, as given by the registry
    bytes 5-    the Avro binary body (schemaless: no container header)

Values are written with the newest version of their event type in avro/ and registered
under the subject ``<topic>-value``; keys are Avro ``string`` under ``<topic>-key``.
Decoding looks the writer schema up by the id in the frame and resolves it to the newest
local version of the event type (so a consumer reads data written with older or newer
versions, see docs/schemas.md). Processor snapshots use :meth:`AvroCodec.encode_state`:
plain Avro bodies without a frame, the schema being the processor's ``state_schema``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any, Final, NoReturn

from fastavro import schemaless_reader, schemaless_writer
from fastavro.read import SchemaResolutionError

from streams.codec.compatibility import reader_problems
from streams.codec.errors import RegistryError, SchemaDefinitionError
from streams.codec.registry import KEY_SCHEMA, SchemaRegistry, registry_from_settings
from streams.codec.schemas import ParsedSchema, SchemaStore, expand
from streams.codec.validation import Validator
from streams.errors import (
    EncodeError,
    KeyDecodeError,
    SchemaNotFoundError,
    SerializationError,
    ValueDecodeError,
)
from streams.settings import Settings

MAGIC: Final = 0
HEADER_SIZE: Final = 5
# What fastavro raises on bytes that are not a valid body for the schema.
_READ_ERRORS: Final = (
    EOFError,
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    OverflowError,
    MemoryError,
    SchemaResolutionError,
)
_WRITE_ERRORS: Final = (ValueError, TypeError, OverflowError, KeyError, AttributeError)


class BatchDecodeError(ValueDecodeError):
    """:meth:`AvroCodec.decode_values` failed on the record at ``index`` of the batch."""

    def __init__(self, index: int, cause: ValueDecodeError) -> None:
        super().__init__(f"record {index} of the batch: {cause}")
        self.index = index


@dataclass(frozen=True, slots=True)
class _WritePlan:
    header: bytes
    parsed: ParsedSchema
    validate: Validator


@dataclass(frozen=True, slots=True)
class _ReadPlan:
    event_type: str
    writer: ParsedSchema
    reader: ParsedSchema | None  # None when writer and reader schemas are the same


@dataclass(frozen=True, slots=True)
class _StatePlan:
    schema: object  # the caller's schema object, kept alive so its id() stays unique
    parsed: ParsedSchema
    validate: Validator


def header(schema_id: int) -> bytes:
    """The 5-byte Confluent frame header for ``schema_id``."""
    return bytes((MAGIC,)) + schema_id.to_bytes(4, "big")


class AvroCodec:
    """Encodes and decodes keys, values and processor state; see the module docstring."""

    def __init__(self, registry: SchemaRegistry, store: SchemaStore) -> None:
        self._registry = registry
        self._store = store
        self._writers: dict[tuple[str, str], _WritePlan] = {}
        self._readers: dict[tuple[int, str | None], _ReadPlan] = {}
        self._validators: dict[str, Validator] = {}
        self._key_headers: dict[str, bytes] = {}
        self._key_ids: set[int] = set()
        self._states: dict[int, _StatePlan] = {}

    @classmethod
    def from_settings(cls, settings: Settings, store: SchemaStore | None = None) -> AvroCodec:
        """Codec on the registry the settings name (local one when no URL is set)."""
        store = store if store is not None else SchemaStore.load()
        return cls(registry_from_settings(settings, store), store)

    @property
    def store(self) -> SchemaStore:
        return self._store

    @property
    def registry(self) -> SchemaRegistry:
        return self._registry

    # values --------------------------------------------------------------------------

    def encode_value(self, topic: str, event_type: str, value: dict[str, Any]) -> bytes:
        """Validate ``value`` strictly against the newest ``event_type`` schema and frame it."""
        plan = self._writers.get((topic, event_type)) or self._write_plan(topic, event_type)
        plan.validate(value)
        buffer = BytesIO()
        buffer.write(plan.header)
        try:
            schemaless_writer(buffer, plan.parsed, value)
        except _WRITE_ERRORS as exc:
            raise EncodeError(f"{event_type}: {exc}") from exc
        return buffer.getvalue()

    def decode_value(self, data: bytes, event_type: str | None = None) -> dict[str, Any]:
        """Decode a framed value; ``event_type`` (if given) must match the writer's."""
        schema_id = _schema_id(data, ValueDecodeError)
        plan = self._readers.get((schema_id, event_type)) or self._read_plan(schema_id, event_type)
        return _read_body(data, plan)

    def decode_values(
        self, data: Sequence[bytes], event_type: str | None = None
    ) -> list[dict[str, Any]]:
        """Decode many framed values; a failure raises :class:`BatchDecodeError` with its index."""
        readers = self._readers
        out: list[dict[str, Any]] = []
        append = out.append
        for index, item in enumerate(data):
            try:
                schema_id = _schema_id(item, ValueDecodeError)
                plan = readers.get((schema_id, event_type)) or self._read_plan(
                    schema_id, event_type
                )
                append(_read_body(item, plan))
            except ValueDecodeError as exc:
                raise BatchDecodeError(index, exc) from exc
        return out

    def event_type_of(self, data: bytes) -> str:
        """The event type a framed value was written as (from its schema id)."""
        schema_id = _schema_id(data, ValueDecodeError)
        plan = self._readers.get((schema_id, None)) or self._read_plan(schema_id, None)
        return plan.event_type

    def _write_plan(self, topic: str, event_type: str) -> _WritePlan:
        version = self._store.latest(event_type)
        schema_id = self._registry.register(f"{topic}-value", version.canonical)
        validator = self._validators.get(version.canonical)
        if validator is None:
            validator = Validator(version.canonical, f"{event_type} v{version.version}")
            self._validators[version.canonical] = validator
        plan = _WritePlan(header(schema_id), version.parsed, validator)
        self._writers[(topic, event_type)] = plan
        return plan

    def _read_plan(self, schema_id: int, event_type: str | None) -> _ReadPlan:
        try:
            writer = self._registry.by_id(schema_id)
        except (SchemaNotFoundError, RegistryError) as exc:
            raise ValueDecodeError(f"unknown writer schema id {schema_id}: {exc}") from exc
        known = self._store.event_type_of_record(writer.name) if writer.name else None
        if known is None:
            _fail_unknown(schema_id, writer.name, event_type)
        if event_type is not None and known != event_type:
            raise ValueDecodeError(f"schema id {schema_id} is a {known}, expected {event_type}")
        reader = self._store.latest(known)
        resolved: ParsedSchema | None = None
        if reader.canonical != writer.schema_json:
            try:
                problems = reader_problems(
                    reader.canonical, expand(json.loads(writer.schema_json), {})
                )
            except SchemaDefinitionError as exc:
                raise ValueDecodeError(f"schema id {schema_id}: {exc}") from exc
            if problems:
                raise ValueDecodeError(
                    f"{known} v{reader.version} cannot read schema id {schema_id}: "
                    + "; ".join(problems)
                )
            resolved = reader.parsed
        plan = _ReadPlan(known, writer.parsed, resolved)
        self._readers[(schema_id, event_type)] = plan
        return plan

    # keys ----------------------------------------------------------------------------

    def encode_key(self, topic: str, key: str | None) -> bytes | None:
        """Frame a string key (subject ``<topic>-key``); ``None`` stays ``None``."""
        if key is None:
            return None
        if not isinstance(key, str):
            raise EncodeError(f"{topic}: keys are strings, got {type(key).__name__}")
        prefix = self._key_headers.get(topic)
        if prefix is None:
            schema_id = self._registry.register(f"{topic}-key", KEY_SCHEMA)
            self._key_ids.add(schema_id)
            prefix = self._key_headers[topic] = header(schema_id)
        body = key.encode("utf-8")
        return prefix + _zigzag_varint(len(body)) + body

    def decode_key(self, data: bytes | None) -> str | None:
        """Decode a framed string key; ``None`` (no key) stays ``None``."""
        if data is None:
            return None
        schema_id = _schema_id(data, KeyDecodeError)
        if schema_id not in self._key_ids:
            try:
                writer = self._registry.by_id(schema_id)
            except (SchemaNotFoundError, RegistryError) as exc:
                raise KeyDecodeError(f"unknown key schema id {schema_id}: {exc}") from exc
            if not _is_plain_string(writer.parsed):
                raise KeyDecodeError(f"key schema id {schema_id} is not an Avro string")
            self._key_ids.add(schema_id)
        return _read_string(data, HEADER_SIZE)

    # processor state -----------------------------------------------------------------

    def encode_state(self, schema: dict[str, Any], state: dict[str, Any]) -> bytes:
        """Plain Avro body of a processor snapshot, validated as strictly as events."""
        plan = self._state_plan(schema)
        plan.validate(state)
        buffer = BytesIO()
        try:
            schemaless_writer(buffer, plan.parsed, state)
        except _WRITE_ERRORS as exc:
            raise EncodeError(f"state {plan.validate.name}: {exc}") from exc
        return buffer.getvalue()

    def decode_state(self, schema: dict[str, Any], data: bytes) -> dict[str, Any]:
        plan = self._state_plan(schema)
        return _read_body(data, _ReadPlan("state", plan.parsed, None), start=0)

    def _state_plan(self, schema: dict[str, Any]) -> _StatePlan:
        plan = self._states.get(id(schema))
        if plan is None or plan.schema is not schema:
            canonical = self._store.expand_inline(schema)
            parsed = self._store.parse_inline(schema)
            plan = _StatePlan(schema, parsed, Validator(canonical))
            self._states[id(schema)] = plan
        return plan


def _schema_id(data: bytes, error: type[SerializationError]) -> int:
    if len(data) < HEADER_SIZE or data[0] != MAGIC:
        what = f"{len(data)} bytes" if len(data) < HEADER_SIZE else f"magic byte {data[0]}"
        raise error(f"not a Confluent-framed Avro record ({what})")
    return int.from_bytes(data[1:HEADER_SIZE], "big")


def _read_body(data: bytes, plan: _ReadPlan, start: int = HEADER_SIZE) -> dict[str, Any]:
    buffer = BytesIO(data)
    buffer.seek(start)
    try:
        value = schemaless_reader(buffer, plan.writer, plan.reader)
    except _READ_ERRORS as exc:
        raise ValueDecodeError(f"{plan.event_type}: corrupt or truncated body: {exc!r}") from exc
    if buffer.tell() != len(data):
        raise ValueDecodeError(
            f"{plan.event_type}: {len(data) - buffer.tell()} trailing bytes after the record"
        )
    if not isinstance(value, dict):
        raise ValueDecodeError(f"{plan.event_type}: decoded a {type(value).__name__}, not a record")
    return value


def _is_plain_string(parsed: ParsedSchema) -> bool:
    """``"string"`` or ``{"type": "string"}`` (registries may return either), no logical type."""
    if isinstance(parsed, dict):
        return parsed.get("type") == "string" and "logicalType" not in parsed
    return bool(parsed == "string")


def _fail_unknown(schema_id: int, name: str | None, event_type: str | None) -> NoReturn:
    expected = f", expected {event_type}" if event_type else ""
    raise ValueDecodeError(
        f"schema id {schema_id} ({name or 'not a record'}) is no event type in avro/{expected}"
    )


def _zigzag_varint(n: int) -> bytes:
    """Avro ``long`` encoding of a non-negative length."""
    n <<= 1
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _read_string(data: bytes, start: int) -> str:
    shift = 0
    encoded = 0
    position = start
    while True:
        if position >= len(data):
            raise KeyDecodeError("truncated key: length runs past the end")
        byte = data[position]
        position += 1
        encoded |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
        if shift > 63:
            raise KeyDecodeError("corrupt key: length varint too long")
    length = (encoded >> 1) ^ -(encoded & 1)
    if length < 0 or position + length != len(data):
        raise KeyDecodeError(
            f"corrupt key: string length {length} does not match {len(data) - position} bytes"
        )
    try:
        return data[position:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KeyDecodeError(f"key is not valid UTF-8: {exc}") from exc
