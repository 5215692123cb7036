"""A broker-free harness that drives any processor the way the hosts do.

``run_processor(processor, records)`` feeds records in order and returns every output and
the final state. It holds processors to the contract the hosts rely on:

- every output is encoded with the platform codec (strict Avro validation against the
  output's event type), so an output that would fail on a broker fails the test;
- the final state goes through ``snapshot()`` → Avro encode → decode → ``restore()`` (into a
  fresh instance when ``fresh`` builds one) and must come back equal, so a state that does not
  survive a recovery fails the test;
- with a :class:`~streams.clock.ManualClock` and ``timer_every`` it calls ``on_timer``
  whenever the clock, moved to each record's event time, crosses an interval boundary.

For step-by-step tests use :class:`Harness` directly (``process``, ``advance``, ``state``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from streams.clock import ManualClock
from streams.codec import AvroCodec, LocalRegistry
from streams.codec.schemas import SchemaStore
from streams.errors import ProcessingError
from streams.runtime.processor import Output, Processor, Record


class StateRoundTripError(ProcessingError):
    """A processor's state did not survive snapshot → Avro → restore unchanged."""


@dataclass(frozen=True, slots=True)
class HarnessResult:
    """What a processor emitted (in order) and its final state (as ``snapshot()`` gives it)."""

    outputs: list[Output] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)

    def values(self, topic: str | None = None) -> list[dict[str, Any]]:
        """Output values, optionally only those for one logical topic."""
        return [o.value for o in self.outputs if topic is None or o.topic == topic]


class Harness:
    """Drives one processor without a broker; see the module docstring."""

    def __init__(
        self,
        processor: Processor,
        *,
        clock: ManualClock | None = None,
        timer_every: float | None = None,
        codec: AvroCodec | None = None,
        fresh: Callable[[], Processor] | None = None,
    ) -> None:
        if timer_every is not None and (clock is None or timer_every <= 0):
            raise ValueError("timer_every needs a ManualClock and a positive interval")
        self.processor = processor
        self.clock = clock
        self._timer_every = timer_every
        self._next_timer = (
            clock.now() + timedelta(seconds=timer_every)
            if clock is not None and timer_every is not None
            else None
        )
        self._codec = codec if codec is not None else _default_codec()
        self._fresh = fresh
        self.outputs: list[Output] = []

    def process(self, record: Record) -> list[Output]:
        """Fire due timers up to the record's event time, then process it."""
        emitted: list[Output] = []
        event_time = record.value.get("envelope", {}).get("event_time")
        if isinstance(event_time, datetime):
            emitted.extend(self._advance_to(event_time))
        emitted.extend(self._check(self.processor.process(record)))
        return emitted

    def advance(self, seconds: float) -> list[Output]:
        """Move the clock forward, calling ``on_timer`` at every interval boundary crossed."""
        if self.clock is None:
            raise ValueError("advance() needs a ManualClock")
        return self._advance_to(self.clock.now() + timedelta(seconds=seconds))

    def state(self) -> dict[str, Any]:
        """Round-trip the state through Avro and restore; returns the restored snapshot."""
        schema = self.processor.state_schema
        before = self.processor.snapshot()
        if schema is None:
            return before
        decoded = self._codec.decode_state(schema, self._codec.encode_state(schema, before))
        target = self._fresh() if self._fresh is not None else self.processor
        target.restore(decoded)
        after = target.snapshot()
        if after != before:
            raise StateRoundTripError(
                f"{type(self.processor).__name__}: state changed through snapshot/restore: "
                f"{before!r} became {after!r}"
            )
        self.processor = target
        return after

    def _advance_to(self, when: datetime) -> list[Output]:
        clock, every = self.clock, self._timer_every
        if clock is None or when <= clock.now():
            return []
        emitted: list[Output] = []
        if every is not None and self._next_timer is not None:
            while self._next_timer <= when:
                clock.set(self._next_timer)
                emitted.extend(self._check(self.processor.on_timer(clock.now())))
                self._next_timer += timedelta(seconds=every)
        clock.set(when)
        return emitted

    def _check(self, outputs: list[Output]) -> list[Output]:
        for output in outputs:
            event_type = str(output.value["envelope"]["event_type"])
            self._codec.encode_key(output.topic, output.key)
            self._codec.encode_value(output.topic, event_type, output.value)
        self.outputs.extend(outputs)
        return outputs


def run_processor(
    processor: Processor,
    records: Iterable[Record],
    *,
    clock: ManualClock | None = None,
    timer_every: float | None = None,
    codec: AvroCodec | None = None,
    fresh: Callable[[], Processor] | None = None,
) -> HarnessResult:
    """Feed ``records`` in order; return all outputs and the Avro-round-tripped final state."""
    harness = Harness(processor, clock=clock, timer_every=timer_every, codec=codec, fresh=fresh)
    for record in records:
        harness.process(record)
    return HarnessResult(outputs=list(harness.outputs), state=harness.state())


_CODEC: AvroCodec | None = None


def _default_codec() -> AvroCodec:
    """A codec on the local registry (the avro/ files); built once per process."""
    global _CODEC  # noqa: PLW0603 - loading every schema once per test session matters
    if _CODEC is None:
        store = SchemaStore.load()
        _CODEC = AvroCodec(LocalRegistry(store), store)
    return _CODEC
