"""Faust integration pieces that need no broker: the order gate, the codecs, the app factory."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from streams.codec import AvroCodec
from streams.runtime.faust_app import AvroKeyCodec, AvroValueCodec, create_app
from streams.runtime.faust_transport import (
    FetchWaitConsumerThread,
    FetchWaitTransport,
    TapewireConsumer,
)
from streams.runtime.order_gate import OrderGate
from streams.runtime.snapshot import fence_record
from streams.settings import load_settings


def test_the_gate_admits_records_in_order_only() -> None:
    gate = OrderGate()
    tp = ("t", 0)
    assert gate.admit(tp, 10, expected=10)
    assert gate.admit(tp, 4, expected=11), "older: the engine skips it"
    assert not gate.admit(tp, 120, expected=11), "fetched from the old committed position"
    assert not gate.admit(tp, 121, expected=11)
    assert gate.admit(tp, 11, expected=11), "the record the state expects"
    assert not gate.admit(tp, 125, expected=12), "a fresh gap is dropped once"


def test_a_gap_the_broker_confirms_is_admitted() -> None:
    gate = OrderGate()
    tp = ("t", 0)
    assert not gate.admit(tp, 50, expected=20), "retention removed 20..49, or a stale record"
    assert gate.admit(tp, 50, expected=20), "re-read from 20, the broker starts at 50 again"


def test_stateless_partitions_are_not_gated() -> None:
    assert OrderGate().admit(("t", 0), 99, expected=None)


def test_codecs_use_confluent_framing(codec: AvroCodec) -> None:
    value = fence_record(
        agent="a", instance="0", fence_id="f", now=datetime(2024, 1, 2, tzinfo=UTC)
    )
    values = AvroValueCodec(codec=codec, topic="p-a.snapshot")
    keys = AvroKeyCodec(codec=codec, topic="p-a.snapshot")
    encoded = values.dumps(value)
    assert encoded[0] == 0, "magic byte"
    assert values.loads(encoded) == value
    assert keys.loads(keys.dumps("a:0")) == "a:0"
    assert encoded == codec.encode_value("p-a.snapshot", "system.snapshot", value)


def test_the_app_follows_the_profile(codec: AvroCodec) -> None:
    async def build() -> tuple[float, float, float, int, bool, str]:
        app = create_app(load_settings(profile="embedded"), "unit-app", codec)
        transport = app.transport
        assert isinstance(transport, FetchWaitTransport)
        assert transport.Consumer is TapewireConsumer
        conf = app.conf
        return (
            conf.broker_session_timeout,
            conf.broker_heartbeat_interval,
            conf.broker_commit_interval,
            transport.fetch_wait_ms,
            conf.web_enabled,
            str(conf.broker[0]),
        )

    embedded = asyncio.run(build())
    assert embedded[:5] == (2.0, 0.5, 0.5, 10, False)
    assert embedded[5] == "kafka://127.0.0.1:19092"


def test_redpanda_keeps_production_defaults(codec: AvroCodec) -> None:
    async def build() -> tuple[float, int]:
        app = create_app(load_settings(profile="redpanda"), "unit-app-2", codec)
        transport = app.transport
        assert isinstance(transport, FetchWaitTransport)
        return app.conf.broker_session_timeout, transport.fetch_wait_ms

    assert asyncio.run(build()) == (45.0, 500)


def test_the_worker_consumer_uses_the_configured_fetch_wait(codec: AvroCodec) -> None:
    async def build() -> tuple[int, int]:
        app = create_app(load_settings(profile="embedded"), "unit-app-3", codec)
        consumer = app.consumer
        assert isinstance(consumer, TapewireConsumer)
        thread = consumer._thread
        assert isinstance(thread, FetchWaitConsumerThread)
        transport = app.transport
        assert isinstance(transport, FetchWaitTransport)
        aiokafka_consumer = thread._create_worker_consumer(transport)
        try:
            return aiokafka_consumer._fetch_max_wait_ms, aiokafka_consumer._session_timeout_ms
        finally:
            await aiokafka_consumer.stop()
            thread.thread_loop.close()  # the consumer thread's own loop; never started here

    assert asyncio.run(build()) == (10, 2000), "not Faust's hard-coded 1500 ms"
