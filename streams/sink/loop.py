"""The sink's consume loop: batch in, one database transaction, then commit offsets.

One step (:meth:`SinkLoop.step`):

1. take up to ``batch_size`` records from the source;
2. decode and map each to rows; a record that cannot be decoded or mapped is set aside for
   the dead-letter topic;
3. write all rows in one transaction (:class:`~streams.sink.writer.SinkWriter`). While the
   database is away (a retriable :class:`DatabaseUnavailableError`) the source's partitions
   are paused and the same batch is retried with exponential backoff, so nothing is lost
   and nothing more is fetched; rows the database refuses come back as rejections and are
   dead-lettered with the reason;
4. flush the dead letters, then commit the batch's offsets - only after the database commit.

A stop request during backoff returns without committing: the uncommitted records are read
again by whoever owns the partitions next, and the idempotent writes make that harmless.
The I/O sits behind small protocols, so unit tests drive the loop with fakes.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from streams.clock import Clock
from streams.errors import DatabaseError, ProcessingError, SerializationError
from streams.runtime.metrics import AgentMetrics
from streams.sink.rows import rows_for
from streams.sink.writer import EventRows, WriteResult

logger = logging.getLogger(__name__)

RUN_ID_HEADER: Final = "tapewire.run_id"
_MIN_SLEEP: Final = 0.001  # seconds; below this a backoff wait is over


@dataclass(frozen=True, slots=True)
class ConsumedRecord:
    """A record as consumed: topic, position, raw bytes and headers."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


Decoder = Callable[[ConsumedRecord], Mapping[str, Any]]


class RecordSource(Protocol):
    """Where records come from (a consumer group) and where positions are committed."""

    def poll_batch(self, max_records: int, timeout: float) -> list[ConsumedRecord]: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def keepalive(self) -> None: ...

    def commit(self, offsets: Mapping[tuple[str, int], int]) -> None: ...

    def lag(self, offsets: Mapping[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        """Records behind the end of each partition after ``offsets`` (as far as known)."""
        ...


class BatchWriter(Protocol):
    def write(self, batch: Sequence[EventRows]) -> WriteResult: ...


class DeadLetters(Protocol):
    def send(self, record: ConsumedRecord, error: BaseException) -> None: ...

    def flush(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff: ``initial * 2**attempt``, capped at ``maximum`` seconds."""

    initial: float = 0.5
    maximum: float = 30.0

    def delay(self, attempt: int) -> float:
        return min(self.maximum, self.initial * 2.0 ** min(attempt, 32))


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one step did."""

    records: int
    rows_written: int
    dead_lettered: int
    committed: bool


def next_offsets(records: Sequence[ConsumedRecord]) -> dict[tuple[str, int], int]:
    """The offsets to commit after ``records``: last offset + 1 per topic partition."""
    out: dict[tuple[str, int], int] = {}
    for record in records:
        key = (record.topic, record.partition)
        out[key] = max(out.get(key, 0), record.offset + 1)
    return out


def run_id_of(record: ConsumedRecord, default: str) -> str:
    """The replay run that produced ``record`` (header ``tapewire.run_id``), else ``default``."""
    for name, value in record.headers:
        if name == RUN_ID_HEADER and value:
            return value.decode("utf-8", errors="replace")
    return default


class SinkLoop:
    """Moves records from a source into the database; see the module docstring."""

    def __init__(
        self,
        *,
        source: RecordSource,
        decode: Decoder,
        writer: BatchWriter,
        dead_letters: DeadLetters,
        metrics: AgentMetrics,
        clock: Clock,
        sleep: Callable[[float], None],
        batch_size: int = 5000,
        poll_timeout: float = 0.5,
        default_run_id: str = "live",
        backoff: Backoff | None = None,
    ) -> None:
        self._source = source
        self._decode = decode
        self._writer = writer
        self._dead_letters = dead_letters
        self._metrics = metrics
        self._clock = clock
        self._sleep = sleep
        self._batch_size = batch_size
        self._poll_timeout = poll_timeout
        self._default_run_id = default_run_id
        self._backoff = backoff if backoff is not None else Backoff()

    def run(self, should_stop: Callable[[], bool]) -> None:
        """Step until ``should_stop()`` is true."""
        while not should_stop():
            self.step(should_stop)

    def step(self, should_stop: Callable[[], bool] = lambda: False) -> StepResult:
        """Consume one batch, write it, dead-letter what failed, commit; see the module doc."""
        records = self._source.poll_batch(self._batch_size, self._poll_timeout)
        if not records:
            return StepResult(0, 0, 0, committed=False)
        started = self._clock.monotonic()
        for topic, count in Counter(r.topic for r in records).items():
            self._metrics.events_in(topic, count)
        good: list[ConsumedRecord] = []
        batch: list[EventRows] = []
        failed: list[tuple[ConsumedRecord, BaseException]] = []
        for record in records:
            try:
                rows = rows_for(self._decode(record), run_id_of(record, self._default_run_id))
            except (SerializationError, ProcessingError) as exc:
                failed.append((record, exc))
                continue
            good.append(record)
            batch.append(EventRows(tuple(rows)))
        result = self._write_with_backoff(batch, should_stop)
        if result is None:
            return StepResult(len(records), 0, 0, committed=False)
        rejected = {rejection.index for rejection in result.rejected}
        failed.extend((good[r.index], r.error) for r in result.rejected)
        self._dead_letter(failed)
        committed = next_offsets(records)
        self._source.commit(committed)
        for (topic, partition), behind in self._source.lag(committed).items():
            self._metrics.lag(topic, partition, behind)
        stored = Counter(r.topic for i, r in enumerate(good) if i not in rejected)
        for topic, count in stored.items():
            self._metrics.events_out(topic, count)
        self._metrics.processing(self._clock.monotonic() - started, events=len(records))
        return StepResult(len(records), result.rows_written, len(failed), committed=True)

    def _write_with_backoff(
        self, batch: Sequence[EventRows], should_stop: Callable[[], bool]
    ) -> WriteResult | None:
        """Write, retrying retriable failures with the partitions paused; None if stopped."""
        attempt = 0
        paused = False
        try:
            while True:
                try:
                    return self._writer.write(batch)
                except DatabaseError as exc:
                    if not exc.retriable:
                        raise
                    self._metrics.error()
                    if not paused:
                        self._source.pause()
                        paused = True
                    delay = self._backoff.delay(attempt)
                    logger.warning(
                        "database unavailable (attempt %d), retrying in %.1f s: %s",
                        attempt + 1,
                        delay,
                        exc,
                    )
                    if not self._wait(delay, should_stop):
                        return None
                    attempt += 1
        finally:
            if paused:
                self._source.resume()

    def _wait(self, delay: float, should_stop: Callable[[], bool]) -> bool:
        """Sleep ``delay`` seconds in short steps, keeping the group alive; False if stopped."""
        deadline = self._clock.monotonic() + delay
        while True:
            if should_stop():
                return False
            remaining = deadline - self._clock.monotonic()
            if remaining < _MIN_SLEEP:
                return True
            self._source.keepalive()
            self._sleep(min(remaining, 0.2))

    def _dead_letter(self, failed: Sequence[tuple[ConsumedRecord, BaseException]]) -> None:
        if not failed:
            return
        for record, error in failed:
            logger.warning(
                "dead-lettering %s[%d]@%d: %s", record.topic, record.partition, record.offset, error
            )
            self._metrics.error()
            self._metrics.dead_letter()
            self._dead_letters.send(record, error)
        self._dead_letters.flush()
