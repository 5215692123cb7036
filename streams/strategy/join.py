"""Joining a bar with its indicator values, and the advice book.

Bars (``md.bar``) and indicator values (``indicator.value``) arrive on different topics, in
any order. The :class:`JoinBuffer` keeps one :class:`Slot` per (instrument, interval, bar
end) in a *lane* per (instrument, interval). A strategy evaluates a slot once the bar and
every indicator value it declares are there, and only after it has evaluated every earlier
slot of the lane, so each strategy sees bars in bar-end order whatever the arrival order.

Bounded buffer rule: a lane holds at most ``max_pending`` slots. When a new slot would
exceed it, the oldest slot is evicted unevaluated (counted as ``join_evicted``), which also
unblocks the strategies waiting on it. Inputs for a bar end at or before the lane's
*watermark* (the newest slot that left the buffer) are late and dropped (``late_inputs``).
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from streams.clock import from_micros, to_micros
from streams.strategy.base import Advice, Bar, IndicatorReading
from streams.strategy.prepared import IndicatorKey

LaneKey = tuple[str, int]
"""``(instrument, interval_seconds)``."""


@dataclass(slots=True)
class Slot:
    """What has arrived for one bar end, and which strategies have evaluated it."""

    bar_end: datetime
    bar: Bar | None = None
    cause: dict[str, Any] | None = None
    readings: dict[IndicatorKey, IndicatorReading] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)

    def complete_for(self, required: frozenset[IndicatorKey]) -> bool:
        return self.bar is not None and required <= self.readings.keys()

    def to_json(self) -> dict[str, Any]:
        cause = None
        if self.cause is not None:
            cause = {
                "event_id": self.cause["event_id"],
                "event_time": to_micros(self.cause["event_time"]),
                "ingest_time": to_micros(self.cause["ingest_time"]),
                "correlation_id": self.cause.get("correlation_id"),
            }
        return {
            "bar_end": to_micros(self.bar_end),
            "bar": None if self.bar is None else self.bar.to_json(),
            "cause": cause,
            "readings": [
                [name, parameters, reading.ready, dict(reading.values)]
                for (name, parameters), reading in sorted(self.readings.items())
            ],
            "done": sorted(self.done),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Slot:
        raw_cause = data["cause"]
        cause = None
        if raw_cause is not None:
            cause = {
                "event_id": str(raw_cause["event_id"]),
                "event_time": from_micros(int(raw_cause["event_time"])),
                "ingest_time": from_micros(int(raw_cause["ingest_time"])),
                "correlation_id": raw_cause["correlation_id"],
            }
        return cls(
            bar_end=from_micros(int(data["bar_end"])),
            bar=None if data["bar"] is None else Bar.from_json(data["bar"]),
            cause=cause,
            readings={
                (str(name), str(parameters)): IndicatorReading(bool(ready), dict(values))
                for name, parameters, ready, values in data["readings"]
            },
            done={str(name) for name in data["done"]},
        )


class JoinBuffer:
    """Pending slots per lane, in bar-end order, with a watermark per lane."""

    def __init__(self, max_pending: int) -> None:
        if max_pending < 1:
            raise ValueError(f"max_pending must be >= 1, got {max_pending}")
        self.max_pending = max_pending
        self._lanes: dict[LaneKey, dict[int, Slot]] = {}
        self._watermarks: dict[LaneKey, int] = {}

    def slot(self, lane: LaneKey, bar_end: datetime) -> tuple[Slot | None, Slot | None]:
        """The slot for ``bar_end`` (``None`` when late) and the slot evicted to make room."""
        micros = to_micros(bar_end)
        watermark = self._watermarks.get(lane)
        if watermark is not None and micros <= watermark:
            return None, None
        slots = self._lanes.setdefault(lane, {})
        existing = slots.get(micros)
        if existing is not None:
            return existing, None
        created = Slot(bar_end=bar_end)
        slots[micros] = created
        if len(slots) <= self.max_pending:
            return created, None
        evicted = self.pop_head(lane)
        if evicted is created:
            return None, None
        return created, evicted

    def ordered(self, lane: LaneKey) -> list[Slot]:
        slots = self._lanes.get(lane, {})
        return [slots[micros] for micros in sorted(slots)]

    def pop_head(self, lane: LaneKey) -> Slot:
        """Remove the oldest slot of ``lane`` and move the watermark to it."""
        slots = self._lanes[lane]
        oldest = min(slots)
        self._watermarks[lane] = oldest
        head = slots.pop(oldest)
        if not slots:
            del self._lanes[lane]
        return head

    def pending(self) -> int:
        return sum(len(slots) for slots in self._lanes.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "lanes": [
                [instrument, interval, [slots[m].to_json() for m in sorted(slots)]]
                for (instrument, interval), slots in sorted(self._lanes.items())
            ],
            "watermarks": [
                [instrument, interval, micros]
                for (instrument, interval), micros in sorted(self._watermarks.items())
            ],
        }

    def load_json(self, data: Mapping[str, Any]) -> None:
        self._lanes = {}
        for instrument, interval, slots in data["lanes"]:
            lane = (str(instrument), int(interval))
            self._lanes[lane] = {}
            for raw in slots:
                slot = Slot.from_json(raw)
                self._lanes[lane][to_micros(slot.bar_end)] = slot
        self._watermarks = {
            (str(instrument), int(interval)): int(micros)
            for instrument, interval, micros in data["watermarks"]
        }


class AdviceBook:
    """The most recent ML advice per instrument, for look-ups as of a bar end.

    Holds at most ``capacity`` advice events per instrument, ordered by event time; the
    oldest is dropped beyond that. :meth:`as_of` never returns advice from after the
    decision time, whatever order the advice arrived in (lookahead guard).
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self._book: dict[str, list[tuple[int, int, Advice]]] = {}
        self._sequence = 0

    def add(self, instrument: str, advice: Advice) -> None:
        entries = self._book.setdefault(instrument, [])
        self._sequence += 1
        insort(entries, (to_micros(advice.event_time), self._sequence, advice), key=_sort_key)
        if len(entries) > self.capacity:
            del entries[0]

    def as_of(self, instrument: str, when: datetime) -> Advice | None:
        """The latest advice with event time <= ``when`` (ties: the one that arrived last)."""
        limit = to_micros(when)
        for micros, _, advice in reversed(self._book.get(instrument, [])):
            if micros <= limit:
                return advice
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "sequence": self._sequence,
            "book": {
                instrument: [[sequence, _advice_json(advice)] for _, sequence, advice in entries]
                for instrument, entries in sorted(self._book.items())
            },
        }

    def load_json(self, data: Mapping[str, Any]) -> None:
        self._sequence = int(data["sequence"])
        self._book = {}
        for instrument, entries in data["book"].items():
            restored = [(int(seq), _advice_from_json(raw)) for seq, raw in entries]
            self._book[str(instrument)] = [
                (to_micros(advice.event_time), seq, advice) for seq, advice in restored
            ]


def _sort_key(entry: tuple[int, int, Advice]) -> tuple[int, int]:
    return entry[0], entry[1]


def _advice_json(advice: Advice) -> dict[str, Any]:
    return {
        "model": advice.model,
        "model_version": advice.model_version,
        "direction": advice.direction,
        "score": advice.score,
        "confidence": advice.confidence,
        "features": dict(advice.features),
        "event_time": to_micros(advice.event_time),
    }


def _advice_from_json(data: Mapping[str, Any]) -> Advice:
    return Advice(
        model=str(data["model"]),
        model_version=str(data["model_version"]),
        direction=data["direction"],
        score=float(data["score"]),
        confidence=float(data["confidence"]),
        features={str(k): float(v) for k, v in data["features"].items()},
        event_time=from_micros(int(data["event_time"])),
    )
