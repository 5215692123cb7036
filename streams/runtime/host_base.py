"""What every processor host shares: engine, snapshot store, metrics, health, recovery.

:class:`HostContext` is built once per agent process from its :class:`AgentSpec` and
settings; the Faust host and the bulk host only add their consumer/producer loops.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Sequence
from typing import Any

from streams.clock import Clock, SystemClock
from streams.codec import AvroCodec
from streams.errors import ConfigError, TapewireError
from streams.runtime.agent_spec import AgentSpec
from streams.runtime.emitter import ProduceRequest
from streams.runtime.engine import AgentEngine
from streams.runtime.health import HealthServer, HealthState
from streams.runtime.heartbeat import (
    HEARTBEAT_EVENT_TYPE,
    HEARTBEAT_EVERY_SECONDS,
    Status,
    heartbeat_record,
)
from streams.runtime.kafka_config import topic_exists
from streams.runtime.metrics import AgentMetrics
from streams.runtime.snapshot_store import SnapshotStore
from streams.settings import Settings

logger = logging.getLogger(__name__)


class HostContext:
    """The host-independent parts of a running agent."""

    def __init__(
        self,
        spec: AgentSpec,
        settings: Settings,
        *,
        group_id: str | None = None,
        clock: Clock | None = None,
        codec: AvroCodec | None = None,
    ) -> None:
        self.spec = spec
        self.settings = settings
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.codec = codec if codec is not None else AvroCodec.from_settings(settings)
        self.group_id = group_id or settings.topic(spec.name)
        self.metrics = AgentMetrics(spec.name)
        self.health = HealthState()
        self.engine = AgentEngine(
            agent=spec.name,
            build=lambda: spec.build(settings),
            settings=settings,
            codec=self.codec,
            clock=self.clock,
            metrics=self.metrics,
        )
        self.store: SnapshotStore | None = None
        if self.engine.stateful:
            if spec.snapshot_topic is None:
                raise ConfigError(
                    "snapshot_topic", f"stateful agent {spec.name} declares no snapshot topic"
                )
            self.store = SnapshotStore(
                settings=settings,
                codec=self.codec,
                clock=self.clock,
                agent=spec.name,
                logical_topic=spec.snapshot_topic,
            )
        self._server: HealthServer | None = None
        self.log_extra: dict[str, Any] = {"agent": spec.name}
        self.worker_id = f"{socket.gethostname()}-{os.getpid()}"
        self._heartbeat_topic = settings.topic("system.heartbeat")
        self._heartbeats_on = topic_exists(settings, self._heartbeat_topic)
        if not self._heartbeats_on:
            logger.info("no %s topic: heartbeats off", self._heartbeat_topic, extra=self.log_extra)
        self._last_heartbeat: float | None = None

    def start_server(self) -> int | None:
        """Serve /metrics, /healthz, /readyz when ``metrics_port`` is set; returns the port."""
        if self.settings.metrics_port == 0:
            return None
        self._server = HealthServer(self.metrics, self.health, self.settings.metrics_port).start()
        return self._server.port

    def stop_server(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def recover(self, partitions: list[int]) -> None:
        """Create (and for stateful agents restore) the instances of ``partitions``.

        Retriable failures (broker briefly away, fence not yet visible) back off and retry.
        """
        fresh = [p for p in partitions if p not in self.engine.instances]
        if not fresh:
            return
        if self.store is None:
            for partition in fresh:
                self.engine.assign(partition, None)
            return
        delay = 0.2
        while True:
            try:
                restored = self.store.recover(fresh)
                break
            except TapewireError as exc:
                if not exc.retriable:
                    raise
                logger.warning("recovery retry after: %s", exc, extra=self.log_extra)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
        for partition in fresh:
            snapshot = restored.get(partition)
            self.engine.assign(partition, snapshot)
            logger.info(
                "instance %s recovered from %s",
                partition,
                "snapshot" if snapshot is not None else "nothing (inputs from earliest)",
                extra={**self.log_extra, "instance": str(partition)},
            )

    def heartbeat(self, *, assigned: Sequence[str], lag: int | None) -> ProduceRequest | None:
        """A ``system.heartbeat`` to produce when one is due (and the topic exists)."""
        now = self.clock.monotonic()
        if (
            self._last_heartbeat is not None
            and now - self._last_heartbeat < HEARTBEAT_EVERY_SECONDS
        ):
            return None
        self._last_heartbeat = now
        if not self._heartbeats_on:
            return None
        state = self.health.as_dict()
        status: Status = (
            "STOPPING" if state["stopping"] else "READY" if self.health.ready else "STARTING"
        )
        value = heartbeat_record(
            agent=self.spec.name,
            worker=self.worker_id,
            status=status,
            metrics=self.metrics,
            assigned=assigned,
            lag=lag,
            now=self.clock.now(),
        )
        topic = self._heartbeat_topic
        return ProduceRequest(
            topic=topic,
            key=self.codec.encode_key(topic, f"{self.spec.name}:{self.worker_id}"),
            value=self.codec.encode_value(topic, HEARTBEAT_EVENT_TYPE, value),
        )

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
        self.stop_server()
