"""Errors of the codec and schema registry, on top of :mod:`streams.errors`."""

from __future__ import annotations

from streams.errors import EncodeError, SerializationError, TapewireError


class RegistryUnavailableError(TapewireError):
    """The schema registry cannot be reached (connection refused, timeout, 5xx); retry later."""

    retriable = True


class RegistryError(SerializationError):
    """The schema registry refused a request (bad schema, bad subject, unexpected answer)."""


class SchemaDefinitionError(SerializationError):
    """An .avsc file or inline schema is not a valid Avro schema for this project."""


class FieldEncodeError(EncodeError):
    """A value does not match its schema; ``field`` is the dotted path of the culprit."""

    def __init__(self, schema_name: str, field: str, problem: str) -> None:
        where = field or "<record>"
        super().__init__(f"{schema_name}: field {where}: {problem}")
        self.schema_name = schema_name
        self.field = field
        self.problem = problem
