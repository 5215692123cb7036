"""The one root exception of Tapewire and its typed subclasses.

Every error the platform raises derives from :class:`TapewireError`. ``retriable`` tells a
host whether to back off and try again (a broker or database that is briefly away) or to
dead-letter the record and move on (bad data, a bug in a processor).
"""

from __future__ import annotations


class TapewireError(Exception):
    """Root of every Tapewire error."""

    retriable: bool = False


class ConfigError(TapewireError):
    """A setting, YAML file or CLI argument is invalid; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class SerializationError(TapewireError):
    """An Avro record could not be encoded or decoded."""


class KeyDecodeError(SerializationError):
    """The key of a record could not be decoded."""


class ValueDecodeError(SerializationError):
    """The value of a record could not be decoded."""


class EncodeError(SerializationError):
    """A record does not match its schema and was not encoded."""


class SchemaNotFoundError(SerializationError):
    """No schema is known for a subject or id."""


class SchemaCompatibilityError(TapewireError):
    """A schema version cannot read data written by an earlier version."""


class ProcessingError(TapewireError):
    """A processor could not handle an event (bad content, violated invariant)."""


class BrokerError(TapewireError):
    """The broker failed a request."""


class BrokerUnavailableError(BrokerError):
    """The broker cannot be reached right now; try again later."""

    retriable = True


class DatabaseError(TapewireError):
    """The database failed a request that will not succeed if retried."""


class DatabaseUnavailableError(DatabaseError):
    """The database cannot be reached right now; try again later."""

    retriable = True


class StackError(TapewireError):
    """The embedded development stack could not start or stop a component."""


class RecoveryError(TapewireError):
    """An agent could not recover its state from its snapshot topic."""

    retriable = True


class ReconciliationError(TapewireError):
    """Orders or positions disagree with the venue and trading must not start."""
