"""Fixtures of the runtime integration tests: ticks, the running-totals agent process, reads.

``totals_env`` creates fresh prefixed topics for the sample agent and returns a
:class:`TotalsEnv` that produces ticks, starts ``tapewire agent running_totals`` as a
subprocess, and reads outputs, dead letters, heartbeats and snapshots back, never trusting
end offsets: a read stops when the expected records have arrived (and nothing more came for a
moment) or at a deadline; ``TotalsEnv.tick(n)`` is the deterministic raw tick number n.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, Producer, TopicPartition
from streams.codec import AvroCodec
from streams.decimals import q
from streams.events import derive_event_id, envelope
from streams.settings import Settings
from streams.topics.admin import create_topics

INSTRUMENTS = ("AAA", "BBB", "CCC", "DDD", "EEE")
_START = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
_TAPEWIRE = Path(sys.executable).parent / "tapewire"


def tick(sequence: int) -> dict[str, Any]:
    """A deterministic raw tick; every 7th is a quote (no size), the rest trades."""
    instrument = INSTRUMENTS[sequence % len(INSTRUMENTS)]
    when = _START + timedelta(milliseconds=sequence)
    trade = sequence % 7 != 0
    return {
        "envelope": envelope(
            event_type="md.tick",
            event_id=derive_event_id("test-feed", sequence),
            event_time=when,
            ingest_time=when,
            agent="test_feed",
        ),
        "instrument": instrument,
        "venue": "TEST",
        "feed": "test",
        "sequence": sequence,
        "kind": "TRADE" if trade else "QUOTE",
        "price": q("100.5") if trade else None,
        "size": q(f"{sequence % 13 + 1}.25") if trade else None,
        "aggressor": "BUY" if trade else None,
        "trade_id": f"t{sequence}" if trade else None,
        "bid_price": None if trade else q("100.25"),
        "bid_size": None if trade else q("3"),
        "ask_price": None if trade else q("100.75"),
        "ask_size": None if trade else q("4"),
    }


@dataclass
class TotalsEnv:
    """Topics, producer and processes of one running-totals test."""

    settings: Settings
    prefix: str
    codec: AvroCodec
    log_dir: Path
    producer: Producer = field(init=False)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    tick = staticmethod(tick)

    def __post_init__(self) -> None:
        self.producer = Producer(
            {"bootstrap.servers": self.settings.bootstrap_servers, "log_level": 0}
        )

    def topic(self, logical: str) -> str:
        return self.settings.topic(logical)

    def produce_ticks(self, sequences: range) -> None:
        raw = self.topic("md.tick.raw")
        for sequence in sequences:
            value = tick(sequence)
            self.producer.produce(
                raw,
                key=self.codec.encode_key(raw, value["instrument"]),
                value=self.codec.encode_value(raw, "md.tick", value),
            )
        assert self.producer.flush(15) == 0

    def produce_raw(self, key: str, value: bytes) -> None:
        raw = self.topic("md.tick.raw")
        self.producer.produce(raw, key=self.codec.encode_key(raw, key), value=value)
        assert self.producer.flush(15) == 0

    def start_agent(
        self, host: str, *extra: str, snapshot_every: tuple[int, float] = (40, 0.5)
    ) -> subprocess.Popen[bytes]:
        """``tapewire agent running_totals`` on ``host``; snapshots every (events, seconds)."""
        env = {
            **os.environ,
            "TAPEWIRE_BOOTSTRAP_SERVERS": self.settings.bootstrap_servers,
            "TAPEWIRE_PROFILE": self.settings.profile,
            "TAPEWIRE_SNAPSHOT_EVERY_EVENTS": str(snapshot_every[0]),
            "TAPEWIRE_SNAPSHOT_EVERY_SECONDS": str(snapshot_every[1]),
        }
        command = [str(_TAPEWIRE), "agent", "running_totals", "--host", host]
        command += ["--topic-prefix", self.prefix, "--group", f"{self.prefix}totals", *extra]
        log = self.log_dir / f"agent-{len(self.processes)}.log"
        with log.open("wb") as stderr:
            process = subprocess.Popen(command, env=env, stderr=stderr)
        self.processes.append(process)
        return process

    def logs(self) -> str:
        """Everything the agent processes of this test logged (JSON lines)."""
        return "".join(
            path.read_text(encoding="utf-8", errors="replace")
            for path in sorted(self.log_dir.glob("agent-*.log"))
        )

    def read(self, logical: str, until: int, timeout: float = 60.0) -> list[Message]:
        """Every record of a topic from the beginning, until ``until`` arrived or timeout."""
        physical = self.topic(logical)
        consumer = Consumer(
            {
                "bootstrap.servers": self.settings.bootstrap_servers,
                "group.id": f"{self.prefix}reader",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 10,
                "log_level": 0,
            }
        )
        try:
            metadata = consumer.list_topics(physical, timeout=10).topics[physical]
            consumer.assign(
                [TopicPartition(physical, p, OFFSET_BEGINNING) for p in metadata.partitions]
            )
            out: list[Message] = []
            deadline = time.monotonic() + timeout
            idle_since = time.monotonic()
            while time.monotonic() < deadline:
                batch = [m for m in consumer.consume(500, timeout=0.2) if m.error() is None]
                out.extend(batch)
                if batch:
                    idle_since = time.monotonic()
                if len(out) >= until and time.monotonic() - idle_since > 0.5:
                    break
            return out
        finally:
            consumer.close()

    def decode(self, messages: list[Message]) -> list[dict[str, Any]]:
        return [self.codec.decode_value(m.value() or b"") for m in messages]

    @staticmethod
    def scrape(port: int, path: str) -> tuple[int, str]:
        """GET an agent's health/metrics endpoint: (status, body); (0, "") when not listening."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except (urllib.error.URLError, ConnectionError):
            return 0, ""

    @staticmethod
    def headers_of(message: Message) -> dict[str, str]:
        """A record's headers as text."""
        found = message.headers() or []
        pairs = list(found.items()) if isinstance(found, dict) else found
        return {
            name: value.decode() if isinstance(value, bytes) else str(value or "")
            for name, value in pairs
        }

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            process.wait(10)


@pytest.fixture
def totals_env(stack: Any, unique: str, tmp_path: Path) -> Iterator[TotalsEnv]:
    settings: Settings = stack.settings(topic_prefix=unique)
    create_topics(
        settings.bootstrap_servers,
        {settings.topic("md.tick.raw"): 3, settings.topic("sample.total"): 3},
    )
    create_topics(
        settings.bootstrap_servers,
        {settings.topic("system.deadletter"): 1, settings.topic("system.heartbeat"): 1},
    )
    create_topics(
        settings.bootstrap_servers,
        {settings.topic("sample.snapshot"): 1},
        {"cleanup.policy": "compact"},
    )
    env = TotalsEnv(
        settings=settings,
        prefix=unique,
        codec=AvroCodec.from_settings(settings),
        log_dir=tmp_path,
    )
    try:
        yield env
    finally:
        env.stop_all()
