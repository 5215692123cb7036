"""Helpers of the replay integration tests: ticks with known timestamps, the running-totals
agent as a ``tapewire agent`` process, and reads that never trust end offsets.

Tick ``n`` goes to partition ``n % 3`` of ``md.tick.raw`` with timestamp ``T0 + 10 n`` ms, so
offset ``i`` of partition ``p`` holds tick ``3 i + p``. Reads from a position stop when the
expected number of records arrived and nothing more came for a moment, or at a deadline.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Message, Producer, TopicPartition
from streams.agents.running_totals import RunningTotals
from streams.codec import AvroCodec
from streams.decimals import q
from streams.dev.process import wait_until
from streams.events import derive_event_id, envelope
from streams.replay.groups import GroupAdmin
from streams.replay.offsets import OffsetProbe
from streams.runtime.harness import run_processor
from streams.runtime.processor import Record
from streams.settings import Settings
from streams.topics.admin import create_topics

PARTITIONS = 3
T0_MS = 1_709_285_400_000
INSTRUMENTS = ("AAA", "BBB", "CCC", "DDD", "EEE")
TAPEWIRE = Path(sys.executable).parent / "tapewire"


def tick(sequence: int) -> dict[str, Any]:
    """Deterministic raw tick ``sequence``; every 7th is a quote (no output), the rest trades."""
    when = datetime.fromtimestamp(T0_MS / 1000, tz=UTC) + timedelta(milliseconds=10 * sequence)
    trade = sequence % 7 != 0
    return {
        "envelope": envelope(
            event_type="md.tick",
            event_id=derive_event_id("replay-test-feed", sequence),
            event_time=when,
            ingest_time=when,
            agent="test_feed",
        ),
        "instrument": INSTRUMENTS[sequence % len(INSTRUMENTS)],
        "venue": "TEST",
        "feed": "test",
        "sequence": sequence,
        "kind": "TRADE" if trade else "QUOTE",
        "price": q("100.5") if trade else None,
        "size": q(f"{sequence % 11 + 1}.5") if trade else None,
        "aggressor": "BUY" if trade else None,
        "trade_id": f"t{sequence}" if trade else None,
        "bid_price": None if trade else q("100.25"),
        "bid_size": None if trade else q("3"),
        "ask_price": None if trade else q("100.75"),
        "ask_size": None if trade else q("4"),
    }


def sequences_of(partition: int, start: int, end: int) -> list[int]:
    """Tick numbers at offsets [start, end) of ``partition``."""
    return [3 * offset + partition for offset in range(start, end)]


def expected_run(sequences: Iterable[int]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Outputs by event id and final state of one uninterrupted in-process instance."""
    records = [Record(topic="md.tick.raw", key=None, value=tick(s)) for s in sequences]
    result = run_processor(RunningTotals(), records)
    outputs = {str(v["envelope"]["event_id"]): v for v in result.values("sample.total")}
    return outputs, result.state


def expected_outputs(per_partition: int) -> dict[str, dict[str, Any]]:
    """Outputs by id of the agent's instances (one per partition) over the first offsets."""
    merged: dict[str, dict[str, Any]] = {}
    for partition in range(PARTITIONS):
        outputs, _ = expected_run(sequences_of(partition, 0, per_partition))
        merged.update(outputs)
    return merged


@dataclass
class AgentEnv:
    """Topics, producer, agent processes and reads of one replay test."""

    settings: Settings
    log_dir: Path
    codec: AvroCodec = field(init=False)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.codec = AvroCodec.from_settings(self.settings)

    @classmethod
    def create(cls, settings: Settings, log_dir: Path) -> AgentEnv:
        bootstrap = settings.bootstrap_servers
        create_topics(
            bootstrap,
            {settings.topic("md.tick.raw"): PARTITIONS, settings.topic("sample.total"): PARTITIONS},
        )
        create_topics(bootstrap, {settings.topic("system.deadletter"): 1})
        create_topics(
            bootstrap, {settings.topic("sample.snapshot"): 1}, {"cleanup.policy": "compact"}
        )
        return cls(settings=settings, log_dir=log_dir)

    @property
    def group(self) -> str:
        """The group ``tapewire agent running_totals`` uses by default."""
        return self.settings.topic("running_totals")

    def topic(self, logical: str) -> str:
        return self.settings.topic(logical)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "TAPEWIRE_BOOTSTRAP_SERVERS": self.settings.bootstrap_servers,
            "TAPEWIRE_PROFILE": self.settings.profile,
            "TAPEWIRE_TOPIC_PREFIX": self.settings.topic_prefix,
            "TAPEWIRE_SNAPSHOT_EVERY_EVENTS": "30",
            "TAPEWIRE_SNAPSHOT_EVERY_SECONDS": "30",
        }

    def produce(self, sequences: range) -> None:
        raw = self.topic("md.tick.raw")
        producer = Producer({"bootstrap.servers": self.settings.bootstrap_servers, "log_level": 0})
        for sequence in sequences:
            value = tick(sequence)
            producer.produce(
                raw,
                key=self.codec.encode_key(raw, value["instrument"]),
                value=self.codec.encode_value(raw, "md.tick", value),
                partition=sequence % PARTITIONS,
                timestamp=T0_MS + 10 * sequence,
            )
        assert producer.flush(15) == 0

    def start_agent(self, *extra: str) -> subprocess.Popen[bytes]:
        command = [str(TAPEWIRE), "agent", "running_totals", "--host", "bulk", *extra]
        log = self.log_dir / f"agent-{len(self.processes)}.log"
        with log.open("wb") as stderr:
            process = subprocess.Popen(command, env=self.env(), stderr=stderr)
        self.processes.append(process)
        return process

    def stop_agent(self, process: subprocess.Popen[bytes]) -> None:
        """SIGTERM (clean stop: final snapshot, commit), then wait until the group is idle."""
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
        admin = GroupAdmin(self.settings.bootstrap_servers)
        assert wait_until(lambda: not admin.describe(self.group).active, 20), "group stays active"

    def log_of(self, process: subprocess.Popen[bytes]) -> str:
        index = self.processes.index(process)
        return (self.log_dir / f"agent-{index}.log").read_text(encoding="utf-8", errors="replace")

    def ends(self, logical: str) -> dict[int, int]:
        """True end of every partition (read forward, not the broker's answer)."""
        topic = self.topic(logical)
        with OffsetProbe(self.settings.bootstrap_servers) as probe:
            return {p: probe.true_end(topic, p) for p in probe.partitions(topic)}

    def read(
        self, logical: str, start: dict[int, int] | None, until: int, timeout: float = 60.0
    ) -> list[Message]:
        """Records of a topic from ``start`` (None: the beginning) until ``until`` arrived."""
        topic = self.topic(logical)
        consumer = Consumer(
            {
                "bootstrap.servers": self.settings.bootstrap_servers,
                "group.id": "replay-test-reader",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 10,
                "log_level": 0,
            }
        )
        try:
            partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
            consumer.assign(
                [TopicPartition(topic, p, (start or {}).get(p, 0)) for p in sorted(partitions)]
            )
            out: list[Message] = []
            deadline = time.monotonic() + timeout
            idle_since = time.monotonic()
            while time.monotonic() < deadline:
                batch = [m for m in consumer.consume(500, timeout=0.2) if m.error() is None]
                out.extend(batch)
                if batch:
                    idle_since = time.monotonic()
                if len(out) >= until and time.monotonic() - idle_since > 0.7:
                    break
            return out
        finally:
            consumer.close()

    def decode(self, messages: list[Message]) -> list[dict[str, Any] | None]:
        return [
            None if m.value() is None else self.codec.decode_value(m.value() or b"")
            for m in messages
        ]

    def snapshot_log(self) -> list[tuple[str, dict[str, Any] | None]]:
        """Every (key, value) of the snapshot topic, in order (one partition)."""
        messages = self.read("sample.snapshot", None, until=1, timeout=15)
        return [
            (str(self.codec.decode_key(m.key())), value)
            for m, value in zip(messages, self.decode(messages), strict=True)
        ]

    def current_snapshots(self) -> dict[str, dict[str, Any] | None]:
        """What recovery would restore per key: the newest SNAPSHOT, None after a tombstone."""
        current: dict[str, dict[str, Any] | None] = {}
        for key, value in self.snapshot_log():
            if value is None:
                current[key] = None
            elif value["kind"] == "SNAPSHOT":
                current[key] = value
        return current

    def state_of(self, snapshot: dict[str, Any]) -> dict[str, Any]:
        return self.codec.decode_state(RunningTotals.state_schema or {}, snapshot["state"])

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            process.wait(10)


def offsets_of(snapshot: dict[str, Any]) -> dict[tuple[str, int], int]:
    return {(o["topic"], int(o["partition"])): int(o["offset"]) for o in snapshot["offsets"]}


def trades_between(partition: int, start: int, end: int) -> int:
    return sum(1 for s in sequences_of(partition, start, end) if tick(s)["kind"] == "TRADE")
