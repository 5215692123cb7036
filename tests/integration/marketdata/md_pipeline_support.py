"""Support of the market-data pipeline test: topics, agent processes, reading topics back.

Reads never trust end offsets (the embedded broker gets them wrong): a read stops once the
expected number of records arrived and nothing more came for a moment, or at a deadline.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, Producer, TopicPartition
from streams.codec import AvroCodec
from streams.settings import Settings
from streams.topics.admin import create_topics
from streams.topics.spec import load_topics

TOPICS = (
    "md.tick.raw",
    "md.tick",
    "md.gap",
    "md.bar",
    "system.deadletter",
    "md.normalizer.snapshot",
    "md.bars.snapshot",
)
_TAPEWIRE = Path(sys.executable).parent / "tapewire"


@dataclass
class Pipeline:
    """Topics, a producer and the agent processes of one test (prefix = ``unique``)."""

    settings: Settings
    prefix: str
    codec: AvroCodec
    log_dir: Path
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def create_topics(self) -> None:
        catalog = load_topics()
        for logical in TOPICS:
            spec = catalog[logical]
            create_topics(
                self.settings.bootstrap_servers,
                {self.settings.topic(logical): spec.partitions},
                spec.configs(),
            )

    def produce(self, logical: str, values: list[dict[str, Any]]) -> None:
        topic = self.settings.topic(logical)
        producer = Producer({"bootstrap.servers": self.settings.bootstrap_servers})
        for value in values:
            producer.produce(
                topic,
                key=self.codec.encode_key(topic, value["instrument"]),
                value=self.codec.encode_value(topic, value["envelope"]["event_type"], value),
            )
        assert producer.flush(15) == 0

    def start(self, agent: str) -> subprocess.Popen[bytes]:
        command = [str(_TAPEWIRE), "agent", agent, "--topic-prefix", self.prefix]
        command += ["--group", f"{self.prefix}{agent}"]
        log = self.log_dir / f"{agent}.log"
        with log.open("wb") as stderr:
            process = subprocess.Popen(command, env={**os.environ, **self.env}, stderr=stderr)
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log")))

    def read(self, logical: str, until: int, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Decoded values of a topic from the beginning, once ``until`` arrived (or timeout)."""
        physical = self.settings.topic(logical)
        consumer = Consumer(
            {
                "bootstrap.servers": self.settings.bootstrap_servers,
                "group.id": f"{self.prefix}reader",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 10,
            }
        )
        try:
            partitions = consumer.list_topics(physical, timeout=10).topics[physical].partitions
            consumer.assign([TopicPartition(physical, p, OFFSET_BEGINNING) for p in partitions])
            messages: list[Message] = []
            deadline = time.monotonic() + timeout
            idle_since = time.monotonic()
            while time.monotonic() < deadline:
                batch = [m for m in consumer.consume(500, timeout=0.2) if m.error() is None]
                messages.extend(batch)
                if batch:
                    idle_since = time.monotonic()
                if len(messages) >= until and time.monotonic() - idle_since > 1.0:
                    break
            return [self.codec.decode_value(m.value() or b"") for m in messages]
        finally:
            consumer.close()

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)
