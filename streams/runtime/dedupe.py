"""A bounded, snapshot-able de-duplicator of events by ``envelope.event_id``.

Processing is at-least-once: after a recovery an agent re-emits the outputs it produced
between its last snapshot and the crash, with the same deterministic event ids. A consumer
that must act once per event keeps a :class:`Deduplicator` in its own state (it has an Avro
``STATE_SCHEMA`` and ``snapshot``/``restore`` like a processor) and drops what it has seen.

The window is the last ``capacity`` distinct ids (least recently seen evicted first); size
it to more than the number of events a producer can re-emit (its snapshot interval).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Final

STATE_SCHEMA: Final[dict[str, Any]] = {
    "type": "record",
    "name": "DeduplicatorState",
    "namespace": "tapewire.runtime",
    "fields": [
        {"name": "capacity", "type": "int"},
        {"name": "event_ids", "type": {"type": "array", "items": "string"}},
    ],
}


class Deduplicator:
    """Remembers the last ``capacity`` event ids; :meth:`first_time` says whether one is new."""

    def __init__(self, capacity: int = 100_000) -> None:
        if capacity <= 0:
            raise ValueError(f"capacity must be positive, got {capacity}")
        self._capacity = capacity
        self._seen: OrderedDict[str, None] = OrderedDict()
        self.duplicates = 0

    @property
    def capacity(self) -> int:
        return self._capacity

    def __len__(self) -> int:
        return len(self._seen)

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._seen

    def first_time(self, event_id: str) -> bool:
        """True (and remember it) if ``event_id`` is new; False for a duplicate."""
        if event_id in self._seen:
            self._seen.move_to_end(event_id)
            self.duplicates += 1
            return False
        self._seen[event_id] = None
        if len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
        return True

    def first_time_event(self, value: dict[str, Any]) -> bool:
        """:meth:`first_time` for an event dict (its ``envelope.event_id``)."""
        return self.first_time(str(value["envelope"]["event_id"]))

    def snapshot(self) -> dict[str, Any]:
        """The window as a record of :data:`STATE_SCHEMA` (oldest id first)."""
        return {"capacity": self._capacity, "event_ids": list(self._seen)}

    def restore(self, state: dict[str, Any]) -> None:
        self._capacity = int(state["capacity"])
        ids = list(state["event_ids"])[-self._capacity :]
        self._seen = OrderedDict.fromkeys(ids)
