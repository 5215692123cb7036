"""The source host publishes a connector's events (Avro, physical topics) and stops on request."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from streams.clock import Clock
from streams.runtime.agent_spec import Publisher, SourceSpec
from streams.runtime.processor import Output
from streams.runtime.source_host import SourceHost
from streams.settings import Settings

PUBLISHED = 30
Connector = Callable[[Settings, Publisher, Clock, Callable[[], bool]], None]


def _feed(ticks: list[dict[str, Any]]) -> Connector:
    """A connector that publishes ``ticks``, then idles until asked to stop."""

    def run(
        settings: Settings, publisher: Publisher, clock: Clock, should_stop: Callable[[], bool]
    ) -> None:
        del settings, clock
        for value in ticks:
            publisher.publish(Output(topic="md.tick.raw", key=value["instrument"], value=value))
        publisher.flush()
        while not should_stop():
            threading.Event().wait(0.01)

    return run


def test_the_source_host_publishes_until_stopped(totals_env: Any) -> None:
    ticks = [totals_env.tick(s) for s in range(PUBLISHED)]
    spec = SourceSpec(name="unit_feed", run=_feed(ticks), description="test")
    host = SourceHost(spec, totals_env.settings)
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            host.run(stop)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    try:
        messages = totals_env.read("md.tick.raw", until=PUBLISHED, timeout=20)
    finally:
        stop.set()
        worker.join(20)
    assert not worker.is_alive()
    assert errors == []
    values = totals_env.decode(messages)
    assert sorted(v["sequence"] for v in values) == list(range(PUBLISHED))
    keys = {totals_env.codec.decode_key(m.key()) for m in messages}
    assert keys == {value["instrument"] for value in ticks}
    topic = totals_env.topic("md.tick.raw")
    assert host.metrics.value("tapewire_events_out_total", topic=topic) == PUBLISHED
