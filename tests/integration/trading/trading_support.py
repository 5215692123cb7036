"""Support of the trading integration tests: topics, agent processes, produce and read.

:class:`TradingEnv` applies topics/topics.yaml under the test's prefix, starts the four
trading agents as ``tapewire agent <name>`` subprocesses, produces market data, intents and
controls, and reads topics back from the beginning (never trusting end offsets: a read stops
when enough records arrived and nothing more came for a moment, or at a deadline).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from streams.codec import AvroCodec, LocalRegistry
from streams.codec.schemas import SchemaStore
from streams.exchange.simulator import SimExchange
from streams.orders.manager import OrderManager
from streams.pnl.processor import PnlProcessor
from streams.risk.gate import RiskGate
from streams.runtime.processor import Output, Record
from streams.settings import Settings
from streams.topics.admin import apply_topics
from streams.topics.spec import load_topics

TRADING_AGENTS = ("risk_gate", "order_manager", "sim_exchange", "pnl")
_TAPEWIRE = Path(sys.executable).parent / "tapewire"

RISK_YAML = """
defaults:
  max_position: "100000"
  max_order_quantity: "1000"
  max_open_orders: 1000
  price_band_bps: "1000"
  order_rate: {max_orders: 10000, window_seconds: 1}
"""
EXCHANGE_YAML = """
venue: SIM
latency_ms: 0
fill_on: trades
max_volume_share: "1"
fees: {taker_bps: "5", maker_bps: "1"}
"""


@dataclass
class TradingEnv:
    """Topics, producer and agent processes of one trading test."""

    settings: Settings
    prefix: str
    codec: AvroCodec
    work_dir: Path
    producer: Producer = field(init=False)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _logs: int = 0

    def __post_init__(self) -> None:
        apply_topics(self.settings.bootstrap_servers, load_topics(), self.prefix)
        self.producer = Producer({"bootstrap.servers": self.settings.bootstrap_servers})
        (self.work_dir / "risk.yaml").write_text(RISK_YAML, encoding="utf-8")
        (self.work_dir / "exchange.yaml").write_text(EXCHANGE_YAML, encoding="utf-8")

    def topic(self, logical: str) -> str:
        return self.settings.topic(logical)

    def produce(self, records: list[Record]) -> None:
        for record in records:
            physical = self.topic(record.topic)
            event_type = str(record.value["envelope"]["event_type"])
            self.producer.produce(
                physical,
                key=self.codec.encode_key(physical, record.key),
                value=self.codec.encode_value(physical, event_type, record.value),
            )
        assert self.producer.flush(15) == 0

    def start(self, name: str) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "TAPEWIRE_BOOTSTRAP_SERVERS": self.settings.bootstrap_servers,
            "TAPEWIRE_PROFILE": self.settings.profile,
            "TAPEWIRE_SNAPSHOT_EVERY_EVENTS": "15",
            "TAPEWIRE_SNAPSHOT_EVERY_SECONDS": "0.5",
            "TAPEWIRE_RISK_FILE": str(self.work_dir / "risk.yaml"),
            "TAPEWIRE_EXCHANGE_FILE": str(self.work_dir / "exchange.yaml"),
            "TAPEWIRE_ORDERS_RECONCILE_TIMEOUT_SECONDS": "60",
            "TAPEWIRE_ORDERS_ACK_TIMEOUT_SECONDS": "30",
        }
        command = [str(_TAPEWIRE), "agent", name, "--topic-prefix", self.prefix]
        command += ["--group", f"{self.prefix}{name}"]
        self._logs += 1
        log = self.work_dir / f"{name}-{self._logs}.log"
        with log.open("wb") as stderr:
            process = subprocess.Popen(command, env=env, stderr=stderr, cwd=self.work_dir)
        self.processes[name] = process
        return process

    def start_all(self) -> None:
        for name in TRADING_AGENTS:
            self.start(name)

    def kill(self, name: str) -> None:
        process = self.processes[name]
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def logs(self, name: str = "*") -> str:
        """What the agent processes (all, or those of one agent) logged (JSON lines)."""
        return "".join(
            p.read_text(encoding="utf-8", errors="replace")
            for p in sorted(self.work_dir.glob(f"{name}-*.log"))
        )

    def read(
        self,
        logical: str,
        enough: Callable[[list[dict[str, Any]]], bool],
        timeout: float = 60.0,
    ) -> list[dict[str, Any]]:
        """Decoded values of a topic from its beginning, once ``enough`` holds (or at timeout)."""
        physical = self.topic(logical)
        consumer = Consumer(
            {
                "bootstrap.servers": self.settings.bootstrap_servers,
                "group.id": f"{self.prefix}reader",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 10,
            }
        )
        try:
            metadata = consumer.list_topics(physical, timeout=10).topics[physical]
            consumer.assign(
                [TopicPartition(physical, p, OFFSET_BEGINNING) for p in metadata.partitions]
            )
            values: list[dict[str, Any]] = []
            deadline = time.monotonic() + timeout
            idle_since = time.monotonic()
            while time.monotonic() < deadline:
                batch = [m for m in consumer.consume(500, timeout=0.2) if m.error() is None]
                values.extend(self.codec.decode_value(m.value() or b"") for m in batch)
                if batch:
                    idle_since = time.monotonic()
                if enough(values) and time.monotonic() - idle_since > 1.0:
                    break
            return values
        finally:
            consumer.close()

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait(10)


class InProcessChain:
    """The four processors wired in process by a FIFO router (no broker).

    Every record fed (and every output it causes, breadth first) goes to each processor that
    lists its topic as an input. ``save`` keeps an Avro-encoded snapshot of the order manager;
    ``crash`` replaces it with a fresh one restored from that snapshot and re-delivers the
    order manager's inputs since, as a host recovering from a SIGKILL would.
    """

    def __init__(
        self, gate: RiskGate, manager: OrderManager, exchange: SimExchange, pnl: PnlProcessor
    ) -> None:
        self.gate, self.manager, self.exchange, self.pnl = gate, manager, exchange, pnl
        store = SchemaStore.load()
        self.codec = AvroCodec(LocalRegistry(store), store)
        self.manager_log: list[Record] = []
        self.saved: tuple[bytes, int] | None = None
        self.outputs: list[Record] = []

    def save(self) -> None:
        schema = OrderManager.state_schema or {}
        self.saved = (
            self.codec.encode_state(schema, self.manager.snapshot()),
            len(self.manager_log),
        )

    def crash(self) -> None:
        assert self.saved is not None
        state, position = self.saved
        self.manager = OrderManager(self.manager.config)
        self.manager.restore(self.codec.decode_state(OrderManager.state_schema or {}, state))
        for record in self.manager_log[position:]:  # the log since the snapshot, re-delivered
            self._route_outputs(self.manager.process(record))

    def values(self, topic: str) -> list[dict[str, Any]]:
        return [r.value for r in self.outputs if r.topic == topic]

    def feed(self, record: Record) -> None:
        queue = deque([record])
        while queue:
            current = queue.popleft()
            self.outputs.append(current)
            for processor in (self.gate, self.manager, self.exchange, self.pnl):
                if current.topic in processor.inputs:
                    if processor is self.manager:
                        self.manager_log.append(current)
                    queue.extend(self._records(processor.process(current)))

    def timer(self, now: datetime) -> None:
        self._route_outputs(self.manager.on_timer(now))

    def _route_outputs(self, outputs: list[Output]) -> None:
        for record in self._records(outputs):
            self.feed(record)

    @staticmethod
    def _records(outputs: list[Output]) -> list[Record]:
        return [Record(topic=o.topic, key=o.key, value=o.value) for o in outputs]
