"""The source host: runs a :class:`SourceSpec` (a feed or connector) with a Kafka publisher.

The connector calls ``publisher.publish(Output(...))`` with logical topics; the
:class:`KafkaPublisher` encodes the key and value with the Avro codec (the event type comes
from ``value["envelope"]["event_type"]``) and produces to the physical topic. The connector
polls ``should_stop()``; SIGTERM makes it true, the host then flushes and returns.
"""

from __future__ import annotations

import logging
import threading

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from streams.clock import Clock, SystemClock
from streams.codec import AvroCodec
from streams.errors import BrokerError, BrokerUnavailableError
from streams.runtime.agent_spec import SourceSpec
from streams.runtime.health import HealthServer, HealthState
from streams.runtime.kafka_config import producer_config
from streams.runtime.metrics import AgentMetrics
from streams.runtime.processor import Output
from streams.settings import Settings

logger = logging.getLogger(__name__)


class KafkaPublisher:
    """A :class:`~streams.runtime.agent_spec.Publisher` on a confluent-kafka producer."""

    def __init__(
        self,
        settings: Settings,
        codec: AvroCodec,
        metrics: AgentMetrics,
        producer: Producer | None = None,
    ) -> None:
        self._settings = settings
        self._codec = codec
        self._metrics = metrics
        self._producer = producer if producer is not None else Producer(producer_config(settings))
        self._errors: list[KafkaError] = []

    def publish(self, output: Output) -> None:
        """Encode and produce one event (blocks briefly when the local queue is full)."""
        topic = self._settings.topic(output.topic)
        event_type = str(output.value["envelope"]["event_type"])
        key = self._codec.encode_key(topic, output.key)
        value = self._codec.encode_value(topic, event_type, output.value)
        while True:
            try:
                self._producer.produce(
                    topic,
                    key=key,
                    value=value,
                    headers=list(output.headers),
                    on_delivery=self._delivered,
                )
                break
            except BufferError:
                self._producer.poll(0.05)
            except KafkaException as exc:
                raise BrokerUnavailableError(f"cannot produce to {topic}: {exc}") from exc
        self._metrics.events_out(topic)
        self._producer.poll(0)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything published is durable; raise on failed deliveries."""
        remaining = self._producer.flush(timeout)
        errors, self._errors = self._errors, []
        if remaining:
            raise BrokerUnavailableError(f"{remaining} events not delivered in {timeout} s")
        if errors:
            raise BrokerError(f"{len(errors)} events failed: {errors[0].str()}")

    def _delivered(self, error: KafkaError | None, message: Message) -> None:
        del message
        if error is not None:
            self._errors.append(error)
            self._metrics.error()


class SourceHost:
    """Runs one source until ``stop`` is set; serves metrics and health when configured."""

    def __init__(
        self,
        spec: SourceSpec,
        settings: Settings,
        *,
        clock: Clock | None = None,
        codec: AvroCodec | None = None,
    ) -> None:
        self.spec = spec
        self.settings = settings
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.metrics = AgentMetrics(spec.name)
        self.health = HealthState()
        self.publisher = KafkaPublisher(
            settings,
            codec if codec is not None else AvroCodec.from_settings(settings),
            self.metrics,
        )

    def run(self, stop: threading.Event) -> None:
        server = None
        if self.settings.metrics_port and not self.spec.serves_metrics:
            server = HealthServer(self.metrics, self.health, self.settings.metrics_port).start()
        self.health.assigned(True)
        self.health.recovered()
        logger.info("source starting", extra={"agent": self.spec.name})
        try:
            self.spec.run(self.settings, self.publisher, self.clock, stop.is_set)
            self.health.stopping()
            self.publisher.flush(30)
        finally:
            if server is not None:
                server.stop()
        logger.info("source stopped", extra={"agent": self.spec.name})
