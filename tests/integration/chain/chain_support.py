"""Support of the chain tests: topics, agent processes, producing, tailing and settling.

:class:`ChainEnv` applies topics/topics.yaml under the test's prefix, starts agents as real
``tapewire agent <name>`` processes (group ``<prefix><agent>``), produces records and keeps a
:class:`Tail` on the topics the test reads back. End offsets are never trusted (the embedded
broker reports wrong ones after a batched produce): the tail counts what it has read, and
:meth:`ChainEnv.settle` compares the agents' *committed* offsets with it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, Producer
from confluent_kafka import TopicPartition as KafkaPartition
from streams.codec import AvroCodec
from streams.replay.groups import GroupAdmin
from streams.runtime.processor import Record
from streams.settings import Settings
from streams.topics.admin import apply_topics
from streams.topics.spec import load_topics

_TAPEWIRE = Path(sys.executable).parent / "tapewire"
Position = tuple[str, int]
"""(logical topic, partition)."""


class SettleTimeoutError(AssertionError):
    """The agents did not consume everything produced before the deadline."""


class Tail:
    """A consumer assigned to every partition of some topics from the beginning.

    :meth:`poll` decodes what arrived; ``values[topic]`` keeps every decoded value in log
    order per partition, ``ends[(topic, partition)]`` the offset after the last record read.
    """

    def __init__(self, env: ChainEnv, logical_topics: Iterable[str]) -> None:
        self._env = env
        self._logical = {env.topic(t): t for t in logical_topics}
        self._consumer = Consumer(
            {
                "bootstrap.servers": env.settings.bootstrap_servers,
                "group.id": f"{env.prefix}tail",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 10,
            }
        )
        catalog = load_topics()
        self._consumer.assign(
            [
                KafkaPartition(physical, p, OFFSET_BEGINNING)
                for physical, logical in self._logical.items()
                for p in range(catalog[logical].partitions)
            ]
        )
        self.values: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.ends: dict[Position, int] = defaultdict(int)
        self.appended: dict[str, int] = {}
        """Broker timestamp (ms) of every record read, by event id."""

    def poll(self, timeout: float = 0.05) -> int:
        """Read what is available now; the number of records read."""
        count = 0
        while True:
            batch = self._consumer.consume(1000, timeout=timeout)
            records = [m for m in batch if _is_record(m)]
            for message in records:
                logical = self._logical[str(message.topic())]
                value = self._env.codec.decode_value(message.value() or b"")
                self.values[logical].append(value)
                self.appended[str(value["envelope"]["event_id"])] = message.timestamp()[1]
                position = (logical, int(message.partition() or 0))
                self.ends[position] = max(self.ends[position], int(message.offset() or 0) + 1)
            count += len(records)
            if not batch:
                return count

    def drain(self, quiet: float = 0.3, timeout: float = 30.0) -> None:
        """Poll until nothing arrived for ``quiet`` seconds (or ``timeout``)."""
        deadline = time.monotonic() + timeout
        idle_since = time.monotonic()
        while time.monotonic() < deadline:
            if self.poll():
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since >= quiet:
                return

    def wait_for(
        self, enough: Callable[[Mapping[str, list[dict[str, Any]]]], bool], timeout: float
    ) -> bool:
        """Poll until ``enough(values)`` holds; False at the deadline."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll()
            if enough(self.values):
                return True
        return False

    def counts(self) -> dict[str, int]:
        """Records read per topic (for assertion messages)."""
        return {topic: len(values) for topic, values in self.values.items()}

    def close(self) -> None:
        self._consumer.close()


def _is_record(message: Message) -> bool:
    error = message.error()
    if error is None:
        return True
    if error.code() == KafkaError._PARTITION_EOF:
        return False
    raise AssertionError(f"tail consumer failed: {error.str()}")


@dataclass
class ChainEnv:
    """Topics, producer and agent processes of one chain test (prefix = ``unique``)."""

    settings: Settings
    prefix: str
    codec: AvroCodec
    work_dir: Path
    agent_env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    tails: list[Tail] = field(default_factory=list)
    produced: dict[Position, int] = field(default_factory=lambda: defaultdict(int))
    _producer: Producer = field(init=False)
    _admin: GroupAdmin = field(init=False)

    def __post_init__(self) -> None:
        apply_topics(self.settings.bootstrap_servers, load_topics(), self.prefix)
        # murmur2: the partitioner of the Faust host (aiokafka) and of Java clients, so records
        # produced here are co-partitioned with what the Faust-hosted agents produce
        self._producer = Producer(
            {"bootstrap.servers": self.settings.bootstrap_servers, "partitioner": "murmur2_random"}
        )
        self._admin = GroupAdmin(self.settings.bootstrap_servers)

    def topic(self, logical: str) -> str:
        return self.settings.topic(logical)

    def tail(self, logical_topics: Iterable[str]) -> Tail:
        """A :class:`Tail` on ``logical_topics``, closed by :meth:`stop_all`."""
        tail = Tail(self, logical_topics)
        self.tails.append(tail)
        return tail

    def group(self, agent: str) -> str:
        return f"{self.prefix}{agent}"

    def produce(self, records: Iterable[Record]) -> None:
        """Produce and flush; remembers the end of every partition written."""
        logical_of: dict[str, str] = {}

        def delivered(error: KafkaError | None, message: Message) -> None:
            if error is not None:
                raise AssertionError(f"produce failed: {error.str()}")
            position = (logical_of[str(message.topic())], int(message.partition() or 0))
            offset = int(message.offset() or 0) + 1
            self.produced[position] = max(self.produced[position], offset)

        for record in records:
            physical = self.topic(record.topic)
            logical_of[physical] = record.topic
            event_type = str(record.value["envelope"]["event_type"])
            self._producer.produce(
                physical,
                key=self.codec.encode_key(physical, record.key),
                value=self.codec.encode_value(physical, event_type, record.value),
                on_delivery=delivered,
            )
        assert self._producer.flush(15) == 0

    def start(self, agent: str, **extra_env: str) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "TAPEWIRE_BOOTSTRAP_SERVERS": self.settings.bootstrap_servers,
            "TAPEWIRE_PROFILE": self.settings.profile,
            **self.agent_env,
            **extra_env,
        }
        command = [str(_TAPEWIRE), "agent", agent, "--topic-prefix", self.prefix]
        command += ["--group", self.group(agent)]
        log = self.work_dir / f"{agent}.log"
        with log.open("wb") as stderr:
            process = subprocess.Popen(command, env=env, stderr=stderr, cwd=self.work_dir)
        self.processes[agent] = process
        return process

    def logs(self) -> str:
        """What the agent processes logged (JSON lines), for assertion messages."""
        return "".join(
            p.read_text(encoding="utf-8", errors="replace")
            for p in sorted(self.work_dir.glob("*.log"))
        )

    def problems(self) -> str:
        """The WARNING/ERROR lines and tracebacks the agents logged (assertion messages)."""
        lines = self.logs().splitlines()
        wanted = ('"level": "WARNING"', '"level": "ERROR"', "Traceback", "Error")
        noise = "Missing sensor state"  # faust's, at every first rebalance
        found = [line for line in lines if any(w in line for w in wanted) and noise not in line]
        return "\n".join(found)[-6000:]

    def committed(self, agent: str) -> dict[Position, int]:
        """The agent group's committed offsets by (logical topic, partition)."""
        physical = {self.topic(spec.name): spec.name for spec in load_topics()}
        return {
            (physical[topic], partition): offset
            for (topic, partition), offset in self._admin.committed(self.group(agent)).items()
            if topic in physical
        }

    def settle(
        self,
        consumed: Mapping[str, Iterable[str]],
        tail: Tail,
        timeout: float = 30.0,
    ) -> None:
        """Wait until each agent of ``consumed`` has committed every record of its topics.

        ``consumed`` maps an agent to the (group-subscribed) topics it must have consumed. A
        partition's end is what the test produced or what ``tail`` read; the commits are read
        first and the tail drained afterwards, so outputs an agent delivered before its
        commit are counted. Equality then means: every record that exists was processed.
        """
        deadline = time.monotonic() + timeout
        lagging: dict[str, dict[Position, tuple[int, int]]] = {}
        while time.monotonic() < deadline:
            commits = {agent: self.committed(agent) for agent in consumed}
            tail.drain(quiet=0.05)
            lagging = {}
            for agent, topics in consumed.items():
                behind = {
                    position: (commits[agent].get(position, 0), end)
                    for position, end in self._ends(topics, tail).items()
                    if commits[agent].get(position, 0) < end
                }
                if behind:
                    lagging[agent] = behind
            if not lagging:
                return
        raise SettleTimeoutError(f"agents still behind (committed, end): {lagging}")

    def _ends(self, topics: Iterable[str], tail: Tail) -> dict[Position, int]:
        ends: dict[Position, int] = {}
        for topic in topics:
            for position, end in [*self.produced.items(), *tail.ends.items()]:
                if position[0] == topic:
                    ends[position] = max(ends.get(position, 0), end)
        return ends

    def stop_all(self) -> None:
        for tail in self.tails:
            tail.close()
        self.tails.clear()
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait(10)
