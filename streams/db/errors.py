"""Errors of the migration runner and the database helpers."""

from __future__ import annotations

from streams.errors import DatabaseError


class MigrationError(DatabaseError):
    """A migration could not be read, rendered or applied."""


class MigrationScriptError(MigrationError):
    """A migration file is malformed (bad name, unbalanced ``-- tapewire:`` sections)."""

    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.file = file
        self.line = line


class ChecksumMismatchError(MigrationError):
    """A migration that was already applied has been edited since."""

    def __init__(self, file: str, recorded: str, current: str) -> None:
        super().__init__(
            f"{file} was applied with checksum {recorded} but the file now has checksum "
            f"{current}: applied migrations must never be edited; revert the file and add a "
            "new numbered migration instead"
        )
        self.file = file
        self.recorded = recorded
        self.current = current
