"""The Timescale sink agent: event topics into the analyst tables (``tapewire agent sink``).

The sink needs batch-level effects with commit-after-effect (one database transaction per
batch, offsets committed only after it), which the processor-per-record hosts do not offer,
so it brings its own loop (:mod:`streams.sink.loop`) on confluent-kafka and is declared as a
:class:`SourceSpec` whose ``run`` is that loop. It never publishes through the host's
publisher: its only output is dead letters, which it produces itself with the raw key.
Configuration: the shared settings plus ``TAPEWIRE_SINK_*`` (:mod:`streams.sink.config`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from confluent_kafka import Consumer, Producer

from streams.clock import Clock, SystemClock
from streams.codec import AvroCodec
from streams.errors import ValueDecodeError
from streams.runtime.agent_spec import Publisher, SourceSpec
from streams.runtime.health import HealthServer, HealthState
from streams.runtime.kafka_config import consumer_config, producer_config
from streams.runtime.metrics import AgentMetrics
from streams.settings import Settings
from streams.sink.config import SinkSettings, load_sink_settings
from streams.sink.kafka_io import KafkaRecordSource, ProducerDeadLetters
from streams.sink.loop import Backoff, ConsumedRecord, Decoder, SinkLoop
from streams.sink.writer import SinkWriter

NAME = "sink"

logger = logging.getLogger(__name__)


def decoder(codec: AvroCodec) -> Decoder:
    """Decode a record's value with the codec; an empty value is a decode error."""

    def decode(record: ConsumedRecord) -> dict[str, Any]:
        if record.value is None:
            raise ValueDecodeError(f"{record.topic}: record without a value")
        return codec.decode_value(record.value)

    return decode


def run(
    settings: Settings,
    should_stop: Callable[[], bool],
    *,
    sink: SinkSettings | None = None,
    clock: Clock | None = None,
    metrics: AgentMetrics | None = None,
    serve_metrics: bool = True,
) -> None:
    """Consume the configured topics into the database until ``should_stop()``.

    The sink's metrics are served on ``TAPEWIRE_SINK_METRICS_PORT`` if set, else on the
    shared ``metrics_port`` when ``serve_metrics`` (false under the source host, which
    serves its own registry there).
    """
    sink = sink if sink is not None else load_sink_settings()
    clock = clock if clock is not None else SystemClock()
    metrics = metrics if metrics is not None else AgentMetrics(NAME)
    codec = AvroCodec.from_settings(settings)
    topics = [settings.topic(t) for t in sink.topics]
    port = sink.metrics_port or (settings.metrics_port if serve_metrics else 0)
    with ExitStack() as stack:
        if port:
            health = HealthState()
            server = HealthServer(metrics, health, port).start()
            stack.callback(server.stop)
            health.assigned(True)
            health.recovered()
        consumer = Consumer(consumer_config(settings, settings.topic(sink.group_id)))
        source = KafkaRecordSource(consumer, topics)
        stack.callback(source.close)
        producer = Producer(producer_config(settings))
        stack.callback(producer.flush, 10)
        writer = stack.enter_context(
            SinkWriter(
                settings.database_url.get_secret_value(),
                connect_timeout=sink.connect_timeout_seconds,
            )
        )
        loop = SinkLoop(
            source=source,
            decode=decoder(codec),
            writer=writer,
            dead_letters=ProducerDeadLetters(
                producer, codec, settings.topic("system.deadletter"), NAME, clock
            ),
            metrics=metrics,
            clock=clock,
            sleep=time.sleep,
            batch_size=sink.batch_size,
            poll_timeout=sink.poll_timeout_seconds,
            default_run_id=sink.run_id,
            backoff=Backoff(sink.backoff_initial_seconds, sink.backoff_max_seconds),
        )
        logger.info("sinking %s into the database", ", ".join(topics), extra={"agent": NAME})
        loop.run(should_stop)


def _run_as_source(
    settings: Settings, publisher: Publisher, clock: Clock, should_stop: Callable[[], bool]
) -> None:
    del publisher  # the sink produces only dead letters, with its own producer
    # AGENT.serves_metrics: the source host starts no server, the sink serves its own
    # registry (rows, batches, lag) and health on metrics_port.
    run(settings, should_stop, clock=clock, serve_metrics=True)


AGENT = SourceSpec(
    name=NAME,
    run=_run_as_source,
    serves_metrics=True,
    description=(
        "Timescale sink: event topics into the analyst tables, one transaction per batch, "
        "offsets committed after the database commit"
    ),
)
