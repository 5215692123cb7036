"""Reading ``broadcast`` inputs: every partition of them, for every instance of the worker.

A group consumer gives each worker only some partitions, but a broadcast input (kill
switches in ``system.control``, prices every PnL instance needs) must reach every instance.
:class:`BroadcastReader` is an unsubscribed confluent-kafka consumer assigned to all
partitions of the broadcast topics. After each (re)assignment of the worker it starts every
partition at the lowest next offset its instances' restored state reflects (earliest when
an instance has none); the engine then skips, per instance, what that instance already
reflects. Broadcast positions are never committed: they live in the snapshots.
"""

from __future__ import annotations

from confluent_kafka import Consumer, KafkaException
from confluent_kafka import TopicPartition as KafkaTopicPartition

from streams.errors import BrokerError, BrokerUnavailableError
from streams.runtime.emitter import RawRecord
from streams.runtime.engine import AgentEngine
from streams.runtime.kafka_config import consumer_config, raw_record
from streams.runtime.recovery import EARLIEST
from streams.settings import Settings


class BroadcastReader:
    """Reads every partition of an engine's broadcast topics; see the module docstring."""

    def __init__(self, settings: Settings, engine: AgentEngine, group_id: str) -> None:
        self._engine = engine
        self._consumer = Consumer(consumer_config(settings, f"{group_id}-broadcast"))

    def start_positions(self) -> list[KafkaTopicPartition]:
        """Where each broadcast partition starts for the current instances."""
        positions: list[KafkaTopicPartition] = []
        for topic in self._engine.broadcast_topics:
            try:
                metadata = self._consumer.list_topics(topic, timeout=10).topics[topic]
            except KafkaException as exc:
                raise BrokerUnavailableError(f"metadata of {topic}: {exc}") from exc
            if metadata.error is not None:
                raise BrokerError(f"broadcast input {topic}: {metadata.error.str()}")
            for partition in sorted(metadata.partitions):
                stored = [
                    self._engine.stored_offset(i, (topic, partition))
                    for i in self._engine.instances
                ]
                known = [offset for offset in stored if offset is not None]
                start = min(known) if known and len(known) == len(stored) else EARLIEST
                positions.append(KafkaTopicPartition(topic, partition, start))
        return positions

    def reassign(self) -> None:
        """Restart every broadcast partition for the instances now assigned."""
        if self._engine.instances:
            self._consumer.assign(self.start_positions())
        else:
            self._consumer.unassign()

    def poll(self, max_records: int, timeout: float) -> list[RawRecord]:
        records: list[RawRecord] = []
        for message in self._consumer.consume(num_messages=max_records, timeout=timeout):
            error = message.error()
            if error is None:
                records.append(raw_record(message))
            elif error.fatal():
                raise BrokerError(f"broadcast consumer failed: {error.str()}")
        return records

    def close(self) -> None:
        self._consumer.close()
