"""``tapewire replay`` on the Timescale sink's group: re-reading never duplicates a row.

The sink (in-process, :func:`streams.agents.sink.run`) consumes ticks into a migrated fresh
database; its group is then rewound to earliest, to a time and to an offset, and after each
re-run the sink has re-read exactly the records from the target on and the row counts are
unchanged. The sink is inferred from its group name, so no snapshot is touched.
"""

from __future__ import annotations

import subprocess
import threading
import time
from datetime import UTC, datetime
from typing import Any

import psycopg
from confluent_kafka import Producer
from streams.agents.sink import run
from streams.codec import AvroCodec
from streams.db.migrations import migrate
from streams.replay.agents import resolve_agent
from streams.replay.rewind import apply_plan, plan_replay
from streams.replay.targets import Target
from streams.resources import resource_dir
from streams.runtime.metrics import AgentMetrics
from streams.settings import Settings
from streams.sink.config import SinkSettings, load_sink_settings
from streams.topics.admin import create_topics
from tests.integration.replay.replay_support import T0_MS, TAPEWIRE, tick

PER_PARTITION = 90
PARTITIONS = 2


def _produce(settings: Settings) -> None:
    """Tick n to partition n % 2 at T0 + 10 n ms: offset i of partition p is tick 2 i + p."""
    codec = AvroCodec.from_settings(settings)
    topic = settings.topic("md.tick")
    producer = Producer({"bootstrap.servers": settings.bootstrap_servers, "linger.ms": 5})
    for sequence in range(PER_PARTITION * PARTITIONS):
        value = tick(sequence)
        producer.produce(
            topic,
            key=codec.encode_key(topic, value["instrument"]),
            value=codec.encode_value(topic, "md.tick", value),
            partition=sequence % PARTITIONS,
            timestamp=T0_MS + 10 * sequence,
        )
    assert producer.flush(15) == 0


def _run_sink(settings: Settings, sink: SinkSettings, records: int) -> int:
    """Run the sink until it consumed ``records`` (and a moment more); returns the count."""
    metrics = AgentMetrics("sink")
    stop = threading.Event()
    failures: list[BaseException] = []

    def consumed() -> int:
        return int(metrics.value("tapewire_events_in_total", topic=settings.topic("md.tick")))

    def target() -> None:
        try:
            run(settings, stop.is_set, sink=sink, metrics=metrics, serve_metrics=False)
        except BaseException as exc:  # reported by the test thread
            failures.append(exc)
            raise

    thread = threading.Thread(target=target, name="replay-sink")
    thread.start()
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and not failures and consumed() < records:
            time.sleep(0.1)
        time.sleep(1.0)  # anything beyond the target would show up now
    finally:
        stop.set()
        thread.join(30)
    assert not failures, failures
    assert not thread.is_alive()
    return consumed()


def _tick_rows(url: str) -> tuple[int, int, set[str]]:
    with psycopg.connect(url) as conn:
        found = conn.execute("SELECT count(*), count(DISTINCT event_id) FROM ticks").fetchone()
        total, distinct = found if found is not None else (0, 0)
        runs = {str(r[0]) for r in conn.execute("SELECT DISTINCT run_id FROM ticks")}
    return int(total), int(distinct), runs


def test_rewinding_the_sink_to_earliest_a_time_and_an_offset_adds_no_rows(
    stack: Any, unique: str, fresh_database: str
) -> None:
    settings = stack.settings(topic_prefix=unique, database_url=fresh_database)
    sink = load_sink_settings(topics=("md.tick",), batch_size=50, poll_timeout_seconds=0.1)
    group = settings.topic(sink.group_id)
    create_topics(settings.bootstrap_servers, {settings.topic("md.tick"): PARTITIONS})
    create_topics(settings.bootstrap_servers, {settings.topic("system.deadletter"): 1})
    migrate(fresh_database, resource_dir("sql"))
    _produce(settings)
    total = PER_PARTITION * PARTITIONS

    assert _run_sink(settings, sink, total) == total
    rows = _tick_rows(fresh_database)
    assert rows == (total, total, {"live"})
    agent = resolve_agent(settings, group)
    assert agent is not None
    assert agent.kind == "sink"

    dry = subprocess.run(
        [str(TAPEWIRE), "replay", "--group", group, "--to", "earliest", "--dry-run"],
        env={
            "PATH": "/usr/bin:/bin",
            "TAPEWIRE_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
            "TAPEWIRE_TOPIC_PREFIX": unique,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert dry.returncode == 0, dry.stderr
    assert "the Timescale sink, only its offsets move" in dry.stdout
    assert f"tapewire agent sink --topic-prefix {unique}" in dry.stdout
    assert "dry run: nothing changed" in dry.stdout

    # tick n sits at offset n // 2 of partition n % 2 with timestamp T0 + 10 n ms:
    # the first at or after T0 + 10 * 2 * 30 ms is at offset 30 of both partitions
    when = datetime.fromtimestamp((T0_MS + 10 * 2 * 30 - 5) / 1000, tz=UTC)
    for target, start in [
        (Target("earliest"), 0),
        (Target("time", time=when), 30),
        (Target("offset", offset=70), 70),
    ]:
        plan = plan_replay(settings.bootstrap_servers, group, target)
        assert [p.target for p in plan.partitions] == [start] * PARTITIONS
        apply_plan(plan, settings.bootstrap_servers)
        rereads = (PER_PARTITION - start) * PARTITIONS
        assert _run_sink(settings, sink, rereads) == rereads, f"{target.describe()}"
        assert _tick_rows(fresh_database) == rows, f"rows changed after {target.describe()}"
