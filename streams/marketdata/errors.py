"""Typed errors of the market-data package."""

from __future__ import annotations

from streams.errors import ProcessingError, TapewireError


class MarketDataError(TapewireError):
    """A market-data source could not be read or understood."""


class MalformedRowError(MarketDataError):
    """A row of a historical file is invalid; names the row, column and value."""

    def __init__(self, row: int, column: str, value: object, message: str) -> None:
        super().__init__(f"row {row}, column {column!r}, value {value!r}: {message}")
        self.row = row
        self.column = column
        self.value = value


class VenueError(MarketDataError):
    """A venue connection or request failed; the adapter reconnects and retries."""

    retriable = True


class VenueProtocolError(MarketDataError):
    """A venue sent a message that does not match its documented format."""


class MalformedTickError(ProcessingError):
    """A raw tick is invalid (missing or non-positive fields); the host dead-letters it."""


class UnknownInstrumentError(MalformedTickError):
    """A raw tick names an instrument that is not in the instruments file."""
