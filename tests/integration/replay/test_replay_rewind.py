"""`tapewire replay` on a real broker: rewinds to earliest, an offset and a time, and refuses
while the group is active. On the embedded broker the end offsets and the timestamp index are
wrong; the plan must be right anyway."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from confluent_kafka import Consumer, Producer
from streams.replay.groups import GroupActiveError, GroupAdmin
from streams.replay.rewind import apply_plan, plan_replay
from streams.replay.targets import Target, parse_target
from streams.topics.admin import create_topics

RECORDS_PER_PARTITION = 120
T0_MS = 1_700_000_000_000


def _produce(bootstrap: str, topic: str) -> None:
    """Batched produce (linger) so the embedded broker's end offsets go wrong."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
    for i in range(RECORDS_PER_PARTITION):
        for partition in (0, 1):
            producer.produce(
                topic,
                key=f"k{i}",
                value=f"v{i}".encode(),
                partition=partition,
                timestamp=T0_MS + i * 1000,
            )
    producer.flush(10)


def _consume_all_and_commit(bootstrap: str, topic: str, group: str, count: int) -> None:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "session.timeout.ms": 2000,
            "fetch.wait.max.ms": 10,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    seen = 0
    deadline = time.monotonic() + 30
    while seen < count and time.monotonic() < deadline:
        seen += sum(1 for m in consumer.consume(500, timeout=0.2) if m.error() is None)
    consumer.commit(asynchronous=False)
    consumer.close()
    assert seen == count


@pytest.fixture
def consumed_topic(bootstrap_servers: str, unique: str) -> tuple[str, str]:
    topic, group = f"{unique}replay", f"{unique}group"
    create_topics(bootstrap_servers, {topic: 2})
    _produce(bootstrap_servers, topic)
    _consume_all_and_commit(bootstrap_servers, topic, group, 2 * RECORDS_PER_PARTITION)
    return topic, group


def _committed(bootstrap: str, group: str) -> dict[tuple[str, int], int]:
    return GroupAdmin(bootstrap).committed(group)


def test_plan_finds_the_true_end_and_rewinds_to_earliest(
    bootstrap_servers: str, consumed_topic: tuple[str, str]
) -> None:
    topic, group = consumed_topic
    plan = plan_replay(bootstrap_servers, group, Target("earliest"))
    assert {(p.topic, p.partition) for p in plan.partitions} == {(topic, 0), (topic, 1)}
    for row in plan.partitions:
        assert row.current == RECORDS_PER_PARTITION
        assert row.end == RECORDS_PER_PARTITION, "true end, whatever the broker reports"
        assert row.target == 0
        assert row.records_after_target == RECORDS_PER_PARTITION
    apply_plan(plan, bootstrap_servers)
    assert _committed(bootstrap_servers, group) == {(topic, 0): 0, (topic, 1): 0}


def test_rewind_to_an_offset_and_to_latest(
    bootstrap_servers: str, consumed_topic: tuple[str, str]
) -> None:
    topic, group = consumed_topic
    apply_plan(plan_replay(bootstrap_servers, group, parse_target("37")), bootstrap_servers)
    assert _committed(bootstrap_servers, group) == {(topic, 0): 37, (topic, 1): 37}
    apply_plan(plan_replay(bootstrap_servers, group, parse_target("latest")), bootstrap_servers)
    expected = {(topic, 0): RECORDS_PER_PARTITION, (topic, 1): RECORDS_PER_PARTITION}
    assert _committed(bootstrap_servers, group) == expected


@pytest.mark.parametrize("seconds", [0, 1, 42, RECORDS_PER_PARTITION - 1, 10_000])
def test_rewind_to_a_time_uses_the_records_timestamps(
    bootstrap_servers: str, consumed_topic: tuple[str, str], seconds: int
) -> None:
    _topic, group = consumed_topic
    when = datetime.fromtimestamp((T0_MS + seconds * 1000 - 500) / 1000, tz=UTC)
    plan = plan_replay(bootstrap_servers, group, Target("time", time=when))
    # record i has timestamp T0 + i s, so the first record at or after T0 + s - 0.5 s is i = s
    expected = min(seconds, RECORDS_PER_PARTITION)
    assert [p.target for p in plan.partitions] == [expected, expected]


def test_refuses_while_the_group_has_active_members(
    bootstrap_servers: str, consumed_topic: tuple[str, str]
) -> None:
    topic, group = consumed_topic
    stop = threading.Event()
    joined = threading.Event()

    def member() -> None:
        consumer = Consumer(
            {
                "bootstrap.servers": bootstrap_servers,
                "group.id": group,
                "session.timeout.ms": 6000,
                "heartbeat.interval.ms": 500,
                "fetch.wait.max.ms": 10,
                "enable.auto.commit": False,
            }
        )
        consumer.subscribe([topic], on_assign=lambda c, ps: joined.set())
        while not stop.is_set():
            consumer.poll(0.1)
        consumer.close()

    thread = threading.Thread(target=member, daemon=True)
    thread.start()
    try:
        assert joined.wait(30), "the member never joined the group"
        plan = plan_replay(bootstrap_servers, group, Target("earliest"))
        with pytest.raises(GroupActiveError, match=group):
            apply_plan(plan, bootstrap_servers)
        assert _committed(bootstrap_servers, group)[(topic, 0)] == RECORDS_PER_PARTITION
    finally:
        stop.set()
        thread.join(15)
