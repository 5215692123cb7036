"""``system.heartbeat`` events carry the worker's counters and encode with their schema."""

from __future__ import annotations

from datetime import UTC, datetime

from streams.codec import AvroCodec
from streams.runtime.heartbeat import HEARTBEAT_EVENT_TYPE, heartbeat_record
from streams.runtime.metrics import AgentMetrics

START = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


def test_a_heartbeat_sums_the_counters_and_encodes(codec: AvroCodec) -> None:
    metrics = AgentMetrics("bars")
    metrics.events_in("a", 5)
    metrics.events_in("b", 2)
    metrics.events_out("c", 3)
    metrics.dead_letter()
    value = heartbeat_record(
        agent="bars",
        worker="host-1",
        status="READY",
        metrics=metrics,
        assigned=["md.tick[0]"],
        lag=4,
        now=START,
    )
    assert (value["events_in"], value["events_out"], value["dead_letters"]) == (7, 3, 1)
    decoded = codec.decode_value(
        codec.encode_value("system.heartbeat", HEARTBEAT_EVENT_TYPE, value)
    )
    assert decoded == value
    again = heartbeat_record(
        agent="bars",
        worker="host-1",
        status="READY",
        metrics=metrics,
        assigned=[],
        lag=None,
        now=START,
    )
    assert again["envelope"]["event_id"] == value["envelope"]["event_id"]
