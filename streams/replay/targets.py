"""Parsing ``--to`` targets of ``tapewire replay``: earliest, latest, a time or an offset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from streams.errors import ConfigError

TargetKind = Literal["earliest", "latest", "time", "offset"]


@dataclass(frozen=True, slots=True)
class Target:
    """Where a group's offsets should point after the rewind."""

    kind: TargetKind
    time: datetime | None = None
    offset: int | None = None

    def describe(self) -> str:
        if self.kind == "time" and self.time is not None:
            return f"time {self.time.isoformat()}"
        if self.kind == "offset":
            return f"offset {self.offset}"
        return self.kind


def parse_target(text: str) -> Target:
    """``earliest`` | ``latest`` | ISO-8601 time (UTC if no zone) | a non-negative offset."""
    value = text.strip()
    if value in ("earliest", "latest"):
        return Target(kind=value)  # type: ignore[arg-type]
    if value.isdigit():
        return Target(kind="offset", offset=int(value))
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(
            "--to",
            f"{text!r} is not earliest, latest, an offset or an ISO-8601 time "
            "(e.g. 2024-03-01T12:00:00Z)",
        ) from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return Target(kind="time", time=when.astimezone(UTC))
