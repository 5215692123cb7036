"""The sink loop with in-memory fakes: commit after write, backpressure, dead letters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from streams.clock import ManualClock
from streams.errors import DatabaseError, DatabaseUnavailableError, ValueDecodeError
from streams.runtime.metrics import AgentMetrics
from streams.sink.loop import Backoff, ConsumedRecord, SinkLoop, next_offsets, run_id_of
from streams.sink.samples import tick
from streams.sink.writer import EventRows, Rejection, RowRejectedError, WriteResult

START = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


class FakeSource:
    def __init__(self, records: list[ConsumedRecord]) -> None:
        self.records = records
        self.log: list[str] = []
        self.committed: dict[tuple[str, int], int] = {}
        self.paused = False

    def poll_batch(self, max_records: int, timeout: float) -> list[ConsumedRecord]:
        del timeout
        batch, self.records = self.records[:max_records], self.records[max_records:]
        return batch

    def pause(self) -> None:
        self.paused = True
        self.log.append("pause")

    def resume(self) -> None:
        self.paused = False
        self.log.append("resume")

    def keepalive(self) -> None:
        assert self.paused

    def commit(self, offsets: Mapping[tuple[str, int], int]) -> None:
        self.log.append("commit")
        self.committed.update(offsets)

    def lag(self, offsets: Mapping[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        return {key: 10 - offset for key, offset in offsets.items()}


class FakeWriter:
    def __init__(self, log: list[str], failures: Sequence[DatabaseError] = ()) -> None:
        self.log = log
        self.failures = list(failures)
        self.stored: list[EventRows] = []
        self.reject: set[int] = set()

    def write(self, batch: Sequence[EventRows]) -> WriteResult:
        if self.failures:
            self.log.append("write-failed")
            raise self.failures.pop(0)
        self.log.append("write")
        result = WriteResult(written={"ticks": len(batch) - len(self.reject)})
        for index, rows in enumerate(batch):
            if index in self.reject:
                error = RowRejectedError("row rejected: check constraint")
                result.rejected.append(Rejection(index, "check constraint", error))
            else:
                self.stored.append(rows)
        return result


class FakeDeadLetters:
    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.sent: list[tuple[ConsumedRecord, BaseException]] = []

    def send(self, record: ConsumedRecord, error: BaseException) -> None:
        self.sent.append((record, error))

    def flush(self) -> None:
        self.log.append("dead-letters-flushed")


def _record(
    offset: int, *, partition: int = 0, value: bytes = b"ok", run: bytes = b""
) -> ConsumedRecord:
    headers = (("tapewire.run_id", run),) if run else ()
    return ConsumedRecord("md.tick", partition, offset, b"BTC-USD", value, 1_000, headers)


def _decode(record: ConsumedRecord) -> dict[str, Any]:
    if record.value != b"ok":
        raise ValueDecodeError(f"bad bytes at {record.offset}")
    return tick("BTC-USD", START, record.offset, Decimal(100), Decimal(1))


def _loop(
    source: FakeSource, writer: FakeWriter, dead: FakeDeadLetters, clock: ManualClock
) -> SinkLoop:
    return SinkLoop(
        source=source,
        decode=_decode,
        writer=writer,
        dead_letters=dead,
        metrics=AgentMetrics("sink"),
        clock=clock,
        sleep=clock.advance,
        batch_size=100,
        poll_timeout=0.01,
        backoff=Backoff(initial=0.5, maximum=4.0),
    )


def test_offsets_are_committed_only_after_the_database_write() -> None:
    source = FakeSource([_record(0), _record(1), _record(5, partition=2)])
    writer = FakeWriter(source.log)
    loop = _loop(source, writer, FakeDeadLetters(source.log), ManualClock(START))
    result = loop.step()
    assert result.committed
    assert source.log == ["write", "commit"]
    assert source.committed == {("md.tick", 0): 2, ("md.tick", 2): 6}
    assert len(writer.stored) == 3


def test_database_outage_pauses_retries_with_backoff_and_loses_nothing() -> None:
    clock = ManualClock(START)
    source = FakeSource([_record(i) for i in range(3)])
    outage = [DatabaseUnavailableError("connection refused")] * 4
    writer = FakeWriter(source.log, outage)
    loop = _loop(source, writer, FakeDeadLetters(source.log), clock)
    loop.step()
    assert source.log == [
        "write-failed",
        "pause",
        "write-failed",
        "write-failed",
        "write-failed",
        "write",
        "resume",
        "commit",
    ]
    assert clock.monotonic() == pytest.approx(0.5 + 1 + 2 + 4)  # 0.5 s doubling per attempt
    assert len(writer.stored) == 3
    assert source.committed == {("md.tick", 0): 3}


def test_stop_during_an_outage_commits_nothing() -> None:
    clock = ManualClock(START)
    source = FakeSource([_record(0)])
    writer = FakeWriter(source.log, [DatabaseUnavailableError("down")] * 100)
    loop = _loop(source, writer, FakeDeadLetters(source.log), clock)
    result = loop.step(should_stop=lambda: clock.monotonic() > 3)
    assert not result.committed
    assert source.committed == {}
    assert source.log[-1] == "resume"


def test_a_non_retriable_database_error_stops_the_loop_without_commit() -> None:
    source = FakeSource([_record(0)])
    writer = FakeWriter(source.log, [DatabaseError("relation ticks does not exist")])
    loop = _loop(source, writer, FakeDeadLetters(source.log), ManualClock(START))
    with pytest.raises(DatabaseError, match="does not exist"):
        loop.step()
    assert "commit" not in source.log


def test_undecodable_and_rejected_records_are_dead_lettered_before_the_commit() -> None:
    source = FakeSource([_record(0), _record(1, value=b"\x07junk"), _record(2), _record(3)])
    writer = FakeWriter(source.log)
    writer.reject = {1}  # the second decodable record (offset 2) violates a constraint
    dead = FakeDeadLetters(source.log)
    metrics = AgentMetrics("sink")
    loop = _loop(source, writer, dead, ManualClock(START))
    loop._metrics = metrics
    result = loop.step()
    assert [(r.offset, type(e).__name__) for r, e in dead.sent] == [
        (1, "ValueDecodeError"),
        (2, "RowRejectedError"),
    ]
    assert source.log == ["write", "dead-letters-flushed", "commit"]
    assert result.dead_lettered == 2
    assert source.committed == {("md.tick", 0): 4}
    assert metrics.value("tapewire_dead_letters_total") == 2
    assert metrics.value("tapewire_events_in_total", topic="md.tick") == 4
    assert metrics.value("tapewire_events_out_total", topic="md.tick") == 2
    assert metrics.value("tapewire_consumer_lag", topic="md.tick", partition="0") == 6


def test_replay_run_id_comes_from_the_record_header() -> None:
    source = FakeSource([_record(0, run=b"replay-7"), _record(1)])
    writer = FakeWriter(source.log)
    _loop(source, writer, FakeDeadLetters(source.log), ManualClock(START)).step()
    run_ids = [rows.rows[0].values[-3] for rows in writer.stored]
    assert run_ids == ["replay-7", "live"]
    assert run_id_of(_record(0), "backfill") == "backfill"


def test_empty_poll_does_nothing() -> None:
    source = FakeSource([])
    loop = _loop(source, FakeWriter(source.log), FakeDeadLetters(source.log), ManualClock(START))
    assert not loop.step().committed
    assert source.log == []


def test_next_offsets_and_backoff() -> None:
    records = [_record(4), _record(2), _record(9, partition=1)]
    assert next_offsets(records) == {("md.tick", 0): 5, ("md.tick", 1): 10}
    backoff = Backoff(initial=0.25, maximum=2.0)
    assert [backoff.delay(i) for i in range(6)] == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
