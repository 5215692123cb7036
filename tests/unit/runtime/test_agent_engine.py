"""The host-independent engine: routing, dead letters, retriable errors, snapshots, restore."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import pytest
from streams.agents.running_totals import RunningTotals
from streams.clock import ManualClock
from streams.codec import AvroCodec, deadletter
from streams.decimals import q
from streams.errors import BrokerUnavailableError, ConfigError, ProcessingError
from streams.events import caused_by
from streams.runtime.emitter import BatchInterruptedError, RawRecord
from streams.runtime.engine import AgentEngine
from streams.runtime.metrics import AgentMetrics
from streams.runtime.processor import Output, Processor, Record
from streams.runtime.snapshot import StoredSnapshot
from streams.settings import Settings, load_settings

RAW = "p-md.tick.raw"


@pytest.fixture
def settings() -> Settings:
    return load_settings(topic_prefix="p-", snapshot_every_events=3, snapshot_every_seconds=60)


def _engine(
    processor: type[Processor], settings: Settings, codec: AvroCodec
) -> tuple[AgentEngine, AgentMetrics]:
    metrics = AgentMetrics(processor.name)
    engine = AgentEngine(
        agent=processor.name,
        build=processor,
        settings=settings,
        codec=codec,
        clock=ManualClock(),
        metrics=metrics,
    )
    return engine, metrics


RawBuilder = Callable[..., RawRecord]


class Echo(Processor):
    """Stateless: re-emits every tick to md.tick; raises what a tick's venue asks for."""

    name: ClassVar[str] = "echo"
    inputs: ClassVar[tuple[str, ...]] = ("md.tick.raw",)
    outputs: ClassVar[tuple[str, ...]] = ("md.tick",)

    def process(self, record: Record) -> list[Output]:
        venue = record.value["venue"]
        if venue == "FAIL":
            raise ProcessingError("asked to fail")
        if venue == "BUG":
            raise KeyError("a processor bug")
        value = dict(record.value)
        value["envelope"] = caused_by(
            record.value["envelope"], event_type="md.tick", agent=self.name
        )
        return [Output(topic="md.tick", key=record.key, value=value)]


def _raw_builder(codec: AvroCodec, make_tick: Callable[..., dict[str, Any]]) -> RawBuilder:
    def build(offset: int, partition: int = 0, **changes: Any) -> RawRecord:
        value = make_tick(offset, "AAA")
        value.update(changes)
        return RawRecord(
            topic=RAW,
            partition=partition,
            offset=offset,
            key=codec.encode_key(RAW, "AAA"),
            value=codec.encode_value(RAW, "md.tick", value),
            timestamp_ms=1_700_000_000_000,
        )

    return build


@pytest.fixture
def raw(codec: AvroCodec, make_tick: Callable[..., dict[str, Any]]) -> RawBuilder:
    """``raw(offset, partition=0, **field_changes)``: an encoded tick record of md.tick.raw."""
    return _raw_builder(codec, make_tick)


def test_outputs_go_to_the_prefixed_topic_encoded(
    settings: Settings, codec: AvroCodec, raw: RawBuilder
) -> None:
    engine, metrics = _engine(Echo, settings, codec)
    engine.assign(0, None)
    [request] = engine.handle([raw(1)])
    assert request.topic == "p-md.tick"
    assert codec.decode_key(request.key) == "AAA"
    assert codec.decode_value(request.value)["envelope"]["causation_id"]
    assert metrics.value("tapewire_events_in_total", topic=RAW) == 1
    assert metrics.value("tapewire_events_out_total", topic="p-md.tick") == 1
    assert engine.positions() == {(RAW, 0): 2}


def _dead_letter_headers(request_headers: Sequence[tuple[str, bytes]]) -> dict[str, str]:
    return {name: value.decode() for name, value in request_headers}


@pytest.mark.parametrize(
    ("venue", "error_class"),
    [("FAIL", "streams.errors.ProcessingError"), ("BUG", "builtins.KeyError")],
)
def test_a_failing_record_is_dead_lettered_and_the_next_processed(
    settings: Settings, codec: AvroCodec, venue: str, error_class: str, raw: RawBuilder
) -> None:
    engine, metrics = _engine(Echo, settings, codec)
    engine.assign(0, None)
    letter, after = engine.handle([raw(5, venue=venue), raw(6)])
    assert letter.topic == "p-system.deadletter"
    headers = _dead_letter_headers(letter.headers)
    assert headers[deadletter.HEADER_ERROR_CLASS] == error_class
    assert headers[deadletter.HEADER_ORIGIN_TOPIC] == RAW
    assert (
        headers[deadletter.HEADER_ORIGIN_PARTITION],
        headers[deadletter.HEADER_ORIGIN_OFFSET],
    ) == ("0", "5")
    value = codec.decode_value(letter.value)
    assert (value["origin_offset"], value["error_class"]) == (5, error_class)
    assert after.topic == "p-md.tick"
    assert metrics.value("tapewire_dead_letters_total") == 1
    assert metrics.value("tapewire_errors_total") == 1
    assert engine.positions() == {(RAW, 0): 7}


def test_an_undecodable_record_keeps_its_bytes(settings: Settings, codec: AvroCodec) -> None:
    engine, metrics = _engine(Echo, settings, codec)
    engine.assign(0, None)
    garbage = RawRecord(topic=RAW, partition=0, offset=3, key=b"k", value=b"\x00\x00\x00\x00\x09zz")
    [letter] = engine.handle([garbage])
    value = codec.decode_value(letter.value)
    assert (value["key"], value["value"]) == (b"k", b"\x00\x00\x00\x00\x09zz")
    assert value["error_class"] == "streams.errors.KeyDecodeError"
    assert metrics.value("tapewire_dead_letters_total") == 1


def test_a_tombstone_is_dead_lettered(settings: Settings, codec: AvroCodec) -> None:
    engine, _ = _engine(Echo, settings, codec)
    engine.assign(0, None)
    [letter] = engine.handle([RawRecord(topic=RAW, partition=0, offset=0, key=None, value=None)])
    assert codec.decode_value(letter.value)["error_class"].endswith("TombstoneError")


class _Flaky(Echo):
    """Echo whose broker is "away" the first time it meets a given record."""

    name: ClassVar[str] = "flaky"
    away_once: ClassVar[set[int]] = set()

    def process(self, record: Record) -> list[Output]:
        if record.offset in self.away_once:
            self.away_once.discard(record.offset)
            raise BrokerUnavailableError("pretend the broker is away")
        return super().process(record)


def test_a_retriable_error_interrupts_the_batch_without_losing_outputs(
    settings: Settings, codec: AvroCodec, raw: RawBuilder
) -> None:
    engine, metrics = _engine(_Flaky, settings, codec)
    engine.assign(0, None)
    _Flaky.away_once.add(2)
    batch = [raw(1), raw(2), raw(3)]
    with pytest.raises(BatchInterruptedError) as interrupted:
        engine.handle(batch)
    assert isinstance(interrupted.value.cause, BrokerUnavailableError)
    assert [codec.decode_value(r.value)["sequence"] for r in interrupted.value.done] == [1]
    assert engine.positions() == {(RAW, 0): 2}, "record 2 is not consumed: it is retried"
    retried = engine.handle(batch)
    assert [codec.decode_value(r.value)["sequence"] for r in retried] == [2, 3]
    assert metrics.value("tapewire_dead_letters_total") == 0, "retriable errors never dead-letter"


def test_redelivered_offsets_are_skipped(
    settings: Settings, codec: AvroCodec, raw: RawBuilder
) -> None:
    engine, _ = _engine(Echo, settings, codec)
    engine.assign(0, None)
    assert len(engine.handle([raw(1), raw(2)])) == 2
    assert len(engine.handle([raw(2), raw(3)])) == 1


def test_records_of_unassigned_partitions_are_ignored(
    settings: Settings, codec: AvroCodec, raw: RawBuilder
) -> None:
    engine, _ = _engine(Echo, settings, codec)
    engine.assign(0, None)
    assert engine.handle([raw(1, partition=1)]) == []


def test_snapshots_carry_state_and_next_offsets(
    settings: Settings, codec: AvroCodec, raw: RawBuilder
) -> None:
    engine, metrics = _engine(RunningTotals, settings, codec)
    engine.assign(1, None)
    engine.handle([raw(10, partition=1), raw(11, partition=1)])
    assert engine.snapshots() == [], "2 events < snapshot_every_events=3"
    engine.handle([raw(12, partition=1)])
    [(instance, record)] = engine.snapshots()
    assert instance == 1
    assert record["offsets"] == [{"topic": RAW, "partition": 1, "offset": 13}]
    assert record["events_processed"] == 3
    assert RunningTotals.state_schema is not None
    state = codec.decode_state(RunningTotals.state_schema, record["state"])
    assert state["totals"]["AAA"]["count"] == 3
    assert engine.snapshots() == []
    assert engine.snapshots(force=True) == [], "forced, but nothing new since the last one"
    assert metrics.value("tapewire_snapshots_total") == 1


def test_restore_continues_from_the_snapshot(
    settings: Settings, codec: AvroCodec, raw: RawBuilder
) -> None:
    first, _ = _engine(RunningTotals, settings, codec)
    first.assign(0, None)
    first.handle([raw(i) for i in range(3)])
    [(_, record)] = first.snapshots()
    second, _ = _engine(RunningTotals, settings, codec)
    second.assign(0, StoredSnapshot.from_record(record))
    assert second.stored_offset(0, (RAW, 0)) == 3
    replayed = second.handle([raw(i) for i in range(5)])
    assert [codec.decode_value(r.value)["count"] for r in replayed] == [4, 5]


def test_stateless_processors_never_snapshot(
    settings: Settings, codec: AvroCodec, raw: RawBuilder
) -> None:
    engine, _ = _engine(Echo, settings, codec)
    engine.assign(0, None)
    engine.handle([raw(i) for i in range(5)])
    assert engine.snapshots(force=True) == []


class _Controlled(Echo):
    """Echo with a broadcast control input."""

    name: ClassVar[str] = "controlled"
    broadcast: ClassVar[tuple[str, ...]] = ("system.control",)


class _ControlledListed(_Controlled):
    """The same, with the broadcast input also listed (first) among the inputs."""

    inputs: ClassVar[tuple[str, ...]] = ("system.control", "md.tick.raw")


@pytest.mark.parametrize("processor", [_Controlled, _ControlledListed])
def test_broadcast_records_reach_every_instance(
    settings: Settings, codec: AvroCodec, raw: RawBuilder, processor: type[Processor]
) -> None:
    engine, _ = _engine(processor, settings, codec)
    assert engine.primary_topic == RAW
    assert engine.partitioned_topics == (RAW,)
    engine.assign(0, None)
    engine.assign(1, None)
    assert engine.broadcast_topics == ("p-system.control",)
    control = RawRecord(
        topic="p-system.control", partition=0, offset=4, key=None, value=raw(4).value
    )
    assert len(engine.handle([control])) == 2
    assert engine.stored_offset(0, ("p-system.control", 0)) == 5
    assert engine.stored_offset(1, ("p-system.control", 0)) == 5


class _Batching(RunningTotals):
    """Overrides process_batch: fails the whole batch when any record has a negative size."""

    name: ClassVar[str] = "batching"

    def process_batch(self, records: Sequence[Record]) -> list[Output]:
        outputs: list[Output] = []
        for record in records:
            outputs.extend(self.process(record))
        return outputs


def test_a_failing_batch_is_rolled_back_and_isolated(
    settings: Settings, codec: AvroCodec, raw: RawBuilder
) -> None:
    engine, metrics = _engine(_Batching, settings, codec)
    engine.assign(0, None)
    out = engine.handle([raw(1), raw(2, size=-q("1.5")), raw(3)])
    assert [r.topic for r in out] == ["p-sample.total", "p-system.deadletter", "p-sample.total"]
    assert [codec.decode_value(r.value).get("count") for r in out] == [1, None, 2]
    assert metrics.value("tapewire_dead_letters_total") == 1
    processor = engine.processor(0)
    assert isinstance(processor, _Batching)
    assert processor.totals()["AAA"][0] == 2


class _OnlyBroadcast(Echo):
    name: ClassVar[str] = "only_broadcast"
    broadcast: ClassVar[tuple[str, ...]] = ("md.tick.raw",)


def test_an_agent_needs_a_partitioned_input(settings: Settings, codec: AvroCodec) -> None:
    with pytest.raises(ConfigError, match="not broadcast"):
        _engine(_OnlyBroadcast, settings, codec)
