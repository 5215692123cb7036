"""The shared envelope every event carries, and deterministic event ids.

Every Avro event has a first field ``envelope`` of type ``tapewire.common.Envelope``
(avro/envelope.v1.avsc): event_id, event_type, schema_version, event_time, ingest_time,
source {agent, version}, correlation_id, causation_id.

Event ids are derived from their cause (:func:`derive_event_id`), never random, so an event
re-emitted after a crash or a replay has the same id and consumers can drop the duplicate.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from streams import __version__

_NAMESPACE: Final = uuid.UUID("6f1c2b7e-5d1a-4e35-9a43-0b7f2b0e7a11")


def derive_event_id(*parts: object) -> str:
    """A UUIDv5 over the parts, e.g. ``derive_event_id(cause_id, "bar", 3)``."""
    if not parts:
        raise ValueError("derive_event_id needs at least one part")
    name = "\x1f".join(str(p) for p in parts)
    return str(uuid.uuid5(_NAMESPACE, name))


def envelope(
    *,
    event_type: str,
    event_id: str,
    event_time: datetime,
    ingest_time: datetime,
    agent: str,
    schema_version: int = 1,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    agent_version: str = __version__,
) -> dict[str, Any]:
    """Build the envelope record for an event."""
    if event_time.tzinfo is None or ingest_time.tzinfo is None:
        raise ValueError("event_time and ingest_time must be timezone-aware")
    return {
        "event_id": event_id,
        "event_type": event_type,
        "schema_version": schema_version,
        "event_time": event_time,
        "ingest_time": ingest_time,
        "source": {"agent": agent, "version": agent_version},
        "correlation_id": correlation_id,
        "causation_id": causation_id,
    }


def caused_by(
    cause: dict[str, Any],
    *,
    event_type: str,
    agent: str,
    discriminator: object = "",
    event_time: datetime | None = None,
    schema_version: int = 1,
) -> dict[str, Any]:
    """Envelope for an event caused by ``cause`` (an envelope dict).

    The id derives from the cause's id, the new type and ``discriminator`` (for several
    outputs of one cause); event time defaults to the cause's, ingest time is inherited, the
    correlation id is carried over (or starts at the cause).
    """
    cause_id = str(cause["event_id"])
    return envelope(
        event_type=event_type,
        event_id=derive_event_id(cause_id, event_type, discriminator),
        event_time=event_time if event_time is not None else cause["event_time"],
        ingest_time=cause["ingest_time"],
        agent=agent,
        schema_version=schema_version,
        correlation_id=cause.get("correlation_id") or cause_id,
        causation_id=cause_id,
    )
