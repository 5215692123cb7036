"""Broadcast inputs on both hosts: every instance receives every record of the topic."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any, ClassVar

import pytest
from streams.events import caused_by
from streams.runtime.agent_spec import AgentSpec
from streams.runtime.bulk_host import BulkHost
from streams.runtime.faust_host import FaustHost
from streams.runtime.host_base import HostContext
from streams.runtime.processor import Output, Processor, Record
from streams.topics.admin import create_topics


class _Relay(Processor):
    """Relays partitioned ticks, and every broadcast tick once per instance."""

    name: ClassVar[str] = "relay"
    inputs: ClassVar[tuple[str, ...]] = ("md.tick.raw",)
    outputs: ClassVar[tuple[str, ...]] = ("sample.relay",)
    broadcast: ClassVar[tuple[str, ...]] = ("md.tick",)

    def process(self, record: Record) -> list[Output]:
        value: dict[str, Any] = dict(record.value)
        value["envelope"] = caused_by(
            record.value["envelope"], event_type="md.tick", agent=self.name
        )
        return [Output(topic="sample.relay", key=record.key, value=value)]


@pytest.mark.parametrize("host", ["bulk", "faust"])
def test_every_instance_receives_broadcast_records(totals_env: Any, host: str) -> None:
    settings = totals_env.settings
    create_topics(
        settings.bootstrap_servers,
        {settings.topic("md.tick"): 2, settings.topic("sample.relay"): 1},
    )
    spec = AgentSpec(name="relay", host="bulk", build=lambda s: _Relay(), description="test relay")
    context = HostContext(spec, settings, group_id=f"{totals_env.prefix}relay")
    runner = BulkHost(context) if host == "bulk" else FaustHost(context)
    stop = threading.Event()
    worker = threading.Thread(target=runner.run, args=(stop,))
    worker.start()
    try:
        totals_env.produce_ticks(range(6))
        broadcast = settings.topic("md.tick")
        for sequence in (100, 101):
            value = totals_env.tick(sequence)
            totals_env.producer.produce(
                broadcast,
                key=totals_env.codec.encode_key(broadcast, value["instrument"]),
                value=totals_env.codec.encode_value(broadcast, "md.tick", value),
            )
        assert totals_env.producer.flush(10) == 0
        relayed = totals_env.decode(totals_env.read("sample.relay", until=6 + 2 * 3, timeout=30))
    finally:
        stop.set()
        worker.join(30)
    assert not worker.is_alive()
    per_sequence = Counter(v["sequence"] for v in relayed)
    assert per_sequence == {0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 100: 3, 101: 3}
