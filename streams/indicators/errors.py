"""Errors of the indicators package, typed subclasses of the platform's root error."""

from __future__ import annotations

from streams.errors import ProcessingError


class IndicatorStateError(ProcessingError):
    """A snapshot cannot be restored into an indicator (wrong indicator, version or shape)."""


class BarFileError(ProcessingError):
    """A bar file (CSV) is malformed; the message names the row, the column and the value."""

    def __init__(self, row: int, column: str, message: str) -> None:
        super().__init__(f"row {row}, column {column!r}: {message}")
        self.row = row
        self.column = column
