"""Periodic ``system.heartbeat`` events: an agent worker says it is alive and how it fares.

Each worker process publishes one heartbeat every :data:`HEARTBEAT_EVERY_SECONDS`, keyed
``"<agent>:<worker>"``, with its status, counters, lag (when known) and assigned partitions.
Dashboards and ``tapewire status`` read them; they are not needed for correctness, so a
deployment without the ``system.heartbeat`` topic simply runs without them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final, Literal

from streams.events import derive_event_id, envelope
from streams.runtime.metrics import AgentMetrics

HEARTBEAT_EVENT_TYPE: Final = "system.heartbeat"
HEARTBEAT_EVERY_SECONDS: Final = 10.0

Status = Literal["STARTING", "READY", "DEGRADED", "STOPPING"]


def heartbeat_record(
    *,
    agent: str,
    worker: str,
    status: Status,
    metrics: AgentMetrics,
    assigned: Sequence[str],
    lag: int | None,
    now: datetime,
) -> dict[str, Any]:
    """A ``system.heartbeat`` event for one worker at ``now``."""
    return {
        "envelope": envelope(
            event_type=HEARTBEAT_EVENT_TYPE,
            event_id=derive_event_id(agent, worker, HEARTBEAT_EVENT_TYPE, now.isoformat()),
            event_time=now,
            ingest_time=now,
            agent=agent,
        ),
        "agent": agent,
        "instance": worker,
        "status": status,
        "events_in": int(metrics.total("tapewire_events_in_total")),
        "events_out": int(metrics.total("tapewire_events_out_total")),
        "errors": int(metrics.total("tapewire_errors_total")),
        "dead_letters": int(metrics.total("tapewire_dead_letters_total")),
        "lag": lag,
        "assigned_partitions": list(assigned),
    }
