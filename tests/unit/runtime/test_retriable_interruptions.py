"""Retriable encode failures (schema registry away): outputs are neither lost nor recomputed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from streams.agents.running_totals import RunningTotals
from streams.clock import ManualClock
from streams.codec import AvroCodec, LocalRegistry, SchemaStore
from streams.codec.errors import RegistryUnavailableError
from streams.events import derive_event_id, envelope
from streams.runtime.emitter import BatchInterruptedError, Emitter, RawRecord
from streams.runtime.engine import AgentEngine
from streams.runtime.metrics import AgentMetrics
from streams.runtime.processor import Output
from streams.settings import load_settings

RAW = "p-md.tick.raw"
NOW = datetime(2024, 3, 1, tzinfo=UTC)


class _AwayRegistry(LocalRegistry):
    """The local registry, unreachable for the next ``outages`` registrations."""

    def __init__(self, store: SchemaStore) -> None:
        super().__init__(store)
        self.outages = 0

    def register(self, subject: str, schema_json: str) -> int:
        if self.outages > 0:
            self.outages -= 1
            raise RegistryUnavailableError("registry away")
        return super().register(subject, schema_json)


@pytest.fixture
def away() -> tuple[AvroCodec, _AwayRegistry]:
    store = SchemaStore.load()
    registry = _AwayRegistry(store)
    return AvroCodec(registry, store), registry


def _raw(codec: AvroCodec, make_tick: Callable[..., dict[str, Any]], offset: int) -> RawRecord:
    value = make_tick(offset, "AAA")
    return RawRecord(
        topic=RAW,
        partition=0,
        offset=offset,
        key=codec.encode_key(RAW, "AAA"),
        value=codec.encode_value(RAW, "md.tick", value),
    )


def test_outputs_of_an_interrupted_encode_are_emitted_once(
    away: tuple[AvroCodec, _AwayRegistry], make_tick: Callable[..., dict[str, Any]]
) -> None:
    codec, registry = away
    raws = [_raw(codec, make_tick, i) for i in (1, 2)]
    engine = AgentEngine(
        agent="running_totals",
        build=RunningTotals,
        settings=load_settings(topic_prefix="p-"),
        codec=codec,
        clock=ManualClock(),
        metrics=AgentMetrics("running_totals"),
    )
    engine.assign(0, None)
    registry.outages = 1  # the first registration of the output subject fails
    with pytest.raises(BatchInterruptedError) as interrupted:
        engine.handle(raws)
    assert interrupted.value.done == []
    assert engine.positions() == {(RAW, 0): 2}, "record 1 changed the state: it is consumed"
    retried = engine.handle(raws)
    assert [codec.decode_value(r.value)["count"] for r in retried] == [1, 2]


def _heartbeat(number: int) -> Output:
    value = {
        "envelope": envelope(
            event_type="system.heartbeat",
            event_id=derive_event_id("beat", number),
            event_time=NOW,
            ingest_time=NOW,
            agent="a",
        ),
        "agent": "a",
        "instance": str(number),
        "status": "READY",
        "events_in": number,
        "events_out": 0,
        "errors": 0,
        "dead_letters": 0,
        "lag": None,
        "assigned_partitions": [],
    }
    return Output(topic=f"beats{number}", key="a", value=value)


def test_the_emitter_keeps_the_rest_in_order_across_outages(
    away: tuple[AvroCodec, _AwayRegistry],
) -> None:
    codec, registry = away
    emitter = Emitter(
        agent="a",
        settings=load_settings(),
        codec=codec,
        clock=ManualClock(NOW),
        metrics=AgentMetrics("a"),
    )
    outputs = [_heartbeat(n) for n in range(3)]
    emitter.outputs(outputs[:1])  # beats0 registered
    registry.outages = 1
    with pytest.raises(BatchInterruptedError) as first:
        emitter.outputs(outputs)
    assert [r.topic for r in first.value.done] == ["beats0"]
    registry.outages = 2  # beats1's key subject fails, then its value subject
    for _ in range(2):
        with pytest.raises(BatchInterruptedError) as again:
            emitter.stashed()
        assert again.value.done == []
    assert [r.topic for r in emitter.stashed()] == ["beats1", "beats2"]
    assert emitter.stashed() == []


@pytest.mark.parametrize("run_id", [None, "replay-42"])
def test_outputs_of_a_replay_run_carry_the_run_id_header(run_id: str | None) -> None:
    store = SchemaStore.load()
    emitter = Emitter(
        agent="a",
        settings=load_settings(run_id=run_id),
        codec=AvroCodec(LocalRegistry(store), store),
        clock=ManualClock(NOW),
        metrics=AgentMetrics("a"),
    )
    output = _heartbeat(0)
    tagged = Output(topic=output.topic, key=output.key, value=output.value, headers=(("x", b"1"),))
    (request,) = emitter.outputs([tagged])
    expected = (("x", b"1"),) + ((("tapewire.run_id", run_id.encode()),) if run_id else ())
    assert request.headers == expected
