"""The processor contract every agent's logic implements.

A processor is a synchronous class with explicit, serialisable state. It turns one input
record (or a batch) into output records. It does no I/O and never reads the wall clock: time
comes from the events (``envelope.event_time``) or from the ``now`` a host passes to
:meth:`Processor.on_timer`, which the host takes from an injected clock.

Required and optional members (see docs/processors.md for the scaffold):

==================  ========  ===========================================================
member              required  meaning
==================  ========  ===========================================================
``name``            yes       agent name (snake_case), used for metrics, snapshot keys, ids
``inputs``          yes       logical input topics (names in topics/topics.yaml)
``outputs``         yes       logical output topics it may emit to
``process``         yes       one input record -> list of outputs
``state_schema``    stateful  Avro record schema (dict) of what :meth:`snapshot` returns
``snapshot``        stateful  the full state as a record matching ``state_schema``
``restore``         stateful  rebuild the state from such a record
``broadcast``       no        inputs every instance receives whatever its partition
``process_batch``   no        many records at once (default: ``process`` in a loop)
``on_timer``        no        periodic call with the host's clock (default: nothing)
==================  ========  ===========================================================

Hosts run one processor instance per partition of the primary input topic (the first one
that is not ``broadcast``); records of a ``broadcast`` topic (listed in ``inputs`` or not) are
delivered to every instance. A processor must be deterministic:
the same inputs in the same order give the same outputs and the same state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Record:
    """An input event as a processor sees it, decoded from Avro."""

    topic: str
    key: str | None
    value: dict[str, Any]
    partition: int = 0
    offset: int = -1
    timestamp_ms: int | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True, slots=True)
class Output:
    """An event a processor asks its host to publish (to a logical topic)."""

    topic: str
    key: str | None
    value: dict[str, Any]
    headers: tuple[tuple[str, bytes], ...] = field(default=())


class Processor:
    """Base class of every processor; see the module docstring for the contract."""

    name: ClassVar[str]
    inputs: ClassVar[tuple[str, ...]]
    outputs: ClassVar[tuple[str, ...]]
    broadcast: ClassVar[tuple[str, ...]] = ()
    state_schema: ClassVar[dict[str, Any] | None] = None

    def process(self, record: Record) -> list[Output]:
        """Turn one input record into zero or more outputs."""
        raise NotImplementedError(f"{type(self).__name__} must implement process()")

    def process_batch(self, records: Sequence[Record]) -> list[Output]:
        """Turn a batch of records into outputs; the default calls :meth:`process` in order."""
        outputs: list[Output] = []
        for record in records:
            outputs.extend(self.process(record))
        return outputs

    def on_timer(self, now: datetime) -> list[Output]:
        """Called periodically by the host with its clock's time; default: no outputs."""
        del now
        return []

    def snapshot(self) -> dict[str, Any]:
        """The full state as a record matching ``state_schema`` (stateless: empty)."""
        if self.state_schema is not None:
            raise NotImplementedError(f"{type(self).__name__} declares state but no snapshot()")
        return {}

    def restore(self, state: dict[str, Any]) -> None:
        """Rebuild the state from a :meth:`snapshot` record."""
        if self.state_schema is not None:
            raise NotImplementedError(f"{type(self).__name__} declares state but no restore()")
        del state

    @property
    def stateful(self) -> bool:
        return self.state_schema is not None
