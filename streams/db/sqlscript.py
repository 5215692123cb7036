"""Pure parsing of migration files: names, variant sections and statements.

A migration is ``sql/NNNN_description.sql``. One file serves both database variants:

* ``timescaledb`` - the TimescaleDB extension is installed or available (docker-compose, Helm);
* ``postgresql`` - plain PostgreSQL without it (the embedded PostgreSQL 18).

Lines between ``-- tapewire:if timescaledb`` and ``-- tapewire:else`` (or
``-- tapewire:end``) are kept only for that variant; lines between ``-- tapewire:else`` and
``-- tapewire:end`` only for the other one. Sections do not nest. Skipped lines are replaced
by empty lines, so line numbers in database errors still point into the file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from streams.db.errors import MigrationScriptError

Variant = Literal["timescaledb", "postgresql"]
VARIANTS: Final[tuple[Variant, ...]] = ("timescaledb", "postgresql")

_FILE_NAME: Final = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")
_DIRECTIVE: Final = re.compile(r"^\s*--\s*tapewire:(?P<word>\S+)(?:\s+(?P<arg>\S+))?\s*$")
_DOLLAR_TAG: Final = re.compile(r"\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$")


@dataclass(frozen=True, slots=True)
class MigrationFile:
    """One numbered migration file and the checksum of its exact bytes."""

    version: int
    name: str
    path: Path
    text: str
    checksum: str

    @property
    def file_name(self) -> str:
        return self.path.name


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement and the line of the file it starts on."""

    line: int
    text: str


def checksum(data: bytes) -> str:
    """SHA-256 of a file's bytes, hex; the value the tracking table records."""
    return hashlib.sha256(data).hexdigest()


def read_migration(path: Path) -> MigrationFile:
    """Parse a migration's file name and read it; refuses names not ``NNNN_name.sql``."""
    match = _FILE_NAME.match(path.name)
    if match is None:
        raise MigrationScriptError(
            path.name, 0, "migration files must be named NNNN_lowercase_words.sql"
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MigrationScriptError(path.name, 0, f"not UTF-8: {exc}") from exc
    return MigrationFile(
        version=int(match["version"]),
        name=match["name"],
        path=path,
        text=text,
        checksum=checksum(data),
    )


def discover(directory: Path) -> list[MigrationFile]:
    """Every ``*.sql`` migration of ``directory`` ordered by version; duplicates refused."""
    files = sorted(
        (read_migration(p) for p in directory.glob("*.sql") if p.is_file()),
        key=lambda migration: migration.version,
    )
    seen: dict[int, str] = {}
    for migration in files:
        if migration.version in seen:
            raise MigrationScriptError(
                migration.file_name,
                0,
                f"version {migration.version:04d} is also used by {seen[migration.version]}",
            )
        seen[migration.version] = migration.file_name
    return files


def render(text: str, variant: Variant, file: str = "<sql>") -> str:
    """The file's text for ``variant``: sections of the other variant blanked out."""
    out: list[str] = []
    section: Variant | None = None
    keep = True
    in_else = False
    for number, line in enumerate(text.splitlines(), start=1):
        directive = _DIRECTIVE.match(line)
        if directive is None:
            out.append(line if keep else "")
            continue
        word, arg = directive["word"], directive["arg"]
        if word == "if":
            if section is not None:
                raise MigrationScriptError(file, number, "tapewire:if sections do not nest")
            if arg not in VARIANTS:
                raise MigrationScriptError(
                    file, number, f"tapewire:if needs one of {', '.join(VARIANTS)}, got {arg!r}"
                )
            section, in_else, keep = arg, False, arg == variant
        elif word == "else" and arg is None:
            if section is None or in_else:
                raise MigrationScriptError(file, number, "tapewire:else without tapewire:if")
            in_else, keep = True, section != variant
        elif word == "end" and arg is None:
            if section is None:
                raise MigrationScriptError(file, number, "tapewire:end without tapewire:if")
            section, in_else, keep = None, False, True
        else:
            raise MigrationScriptError(file, number, f"unknown directive {line.strip()!r}")
        out.append("")
    if section is not None:
        raise MigrationScriptError(file, len(out), "tapewire:if section is never closed")
    return "\n".join(out) + "\n"


def split_statements(text: str) -> list[Statement]:
    """Split SQL into statements at top-level semicolons.

    Understands quoted strings and identifiers, ``--`` and (nested) ``/* */`` comments and
    dollar-quoted bodies (``$$ ... $$``, ``$tag$ ... $tag$``). Statements holding only
    comments and whitespace are dropped.
    """
    statements: list[Statement] = []
    start = 0
    i = 0
    length = len(text)
    while i < length:
        char = text[i]
        if char in "'\"":
            i = _skip_quoted(text, i, char)
        elif text.startswith("--", i):
            newline = text.find("\n", i)
            i = length if newline < 0 else newline + 1
        elif text.startswith("/*", i):
            i = _skip_block_comment(text, i)
        elif char == "$" and (tag := _DOLLAR_TAG.match(text, i)) is not None:
            close = text.find(tag.group(0), tag.end())
            if close < 0:
                raise MigrationScriptError("<sql>", _line_of(text, i), "unterminated $ quote")
            i = close + len(tag.group(0))
        elif char == ";":
            _append(statements, text, start, i)
            i += 1
            start = i
        else:
            i += 1
    _append(statements, text, start, length)
    return statements


def _skip_quoted(text: str, i: int, quote: str) -> int:
    j = i + 1
    while True:
        close = text.find(quote, j)
        if close < 0:
            raise MigrationScriptError("<sql>", _line_of(text, i), f"unterminated {quote} quote")
        if text.startswith(quote * 2, close):
            j = close + 2
            continue
        return close + 1


def _skip_block_comment(text: str, i: int) -> int:
    depth = 0
    j = i
    while j < len(text):
        if text.startswith("/*", j):
            depth += 1
            j += 2
        elif text.startswith("*/", j):
            depth -= 1
            j += 2
            if depth == 0:
                return j
        else:
            j += 1
    raise MigrationScriptError("<sql>", _line_of(text, i), "unterminated /* comment")


def _append(statements: list[Statement], text: str, start: int, end: int) -> None:
    """Add ``text[start:end]`` without its leading comments, if any code remains."""
    position = start
    while position < end:
        if text[position].isspace():
            position += 1
        elif text.startswith("--", position):
            newline = text.find("\n", position, end)
            position = end if newline < 0 else newline + 1
        elif text.startswith("/*", position):
            position = _skip_block_comment(text, position)
        else:
            break
    chunk = text[position:end].strip()
    if chunk:
        statements.append(Statement(_line_of(text, position), chunk))


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1
