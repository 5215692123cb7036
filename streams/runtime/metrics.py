"""Prometheus metrics of one agent, with full names (no abbreviations leak to Grafana).

=======================================  =========  ==============================
metric                                   type       labels
=======================================  =========  ==============================
``tapewire_events_in_total``             counter    agent, topic
``tapewire_events_out_total``            counter    agent, topic
``tapewire_errors_total``                counter    agent
``tapewire_dead_letters_total``          counter    agent
``tapewire_processing_seconds``          histogram  agent
``tapewire_consumer_lag``                gauge      agent, topic, partition
``tapewire_snapshots_total``             counter    agent
=======================================  =========  ==============================

Lag is ``latest offset - committed offset`` as the broker reports them. The embedded broker
(Tansu) reports wrong end offsets after a batched produce, so there the lag is indicative
only; on Redpanda it is exact. Each :class:`AgentMetrics` has its own registry, so several
agents (or tests) in one process never collide.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_LATENCY_BUCKETS = (0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


class AgentMetrics:
    """The metric families of one agent, bound to its name."""

    def __init__(self, agent: str, registry: CollectorRegistry | None = None) -> None:
        self.agent = agent
        self.registry = registry if registry is not None else CollectorRegistry()
        reg = self.registry
        self._events_in = Counter(
            "tapewire_events_in", "Input events consumed", ["agent", "topic"], registry=reg
        )
        self._events_out = Counter(
            "tapewire_events_out", "Output events produced", ["agent", "topic"], registry=reg
        )
        self._errors = Counter(
            "tapewire_errors", "Records that failed to decode or process", ["agent"], registry=reg
        )
        self._dead_letters = Counter(
            "tapewire_dead_letters",
            "Records sent to the dead-letter topic",
            ["agent"],
            registry=reg,
        )
        self._snapshots = Counter(
            "tapewire_snapshots", "State snapshots written", ["agent"], registry=reg
        )
        self._processing = Histogram(
            "tapewire_processing_seconds",
            "Time to process one input event (batches: per event)",
            ["agent"],
            buckets=_LATENCY_BUCKETS,
            registry=reg,
        )
        self._lag = Gauge(
            "tapewire_consumer_lag",
            "Latest offset minus committed offset (indicative on the embedded broker)",
            ["agent", "topic", "partition"],
            registry=reg,
        )
        self._counters = Gauge(
            "tapewire_processor_counter",
            "A processor's own counters (duplicates, halts active...) summed over instances",
            ["agent", "name"],
            registry=reg,
        )
        self._errors.labels(agent=agent)
        self._dead_letters.labels(agent=agent)
        self._snapshots.labels(agent=agent)
        self._in_by_topic: dict[str, Any] = {}
        self._out_by_topic: dict[str, Any] = {}

    def events_in(self, topic: str, count: int = 1) -> None:
        child = self._in_by_topic.get(topic)
        if child is None:
            child = self._in_by_topic[topic] = self._events_in.labels(agent=self.agent, topic=topic)
        child.inc(count)

    def events_out(self, topic: str, count: int = 1) -> None:
        child = self._out_by_topic.get(topic)
        if child is None:
            child = self._out_by_topic[topic] = self._events_out.labels(
                agent=self.agent, topic=topic
            )
        child.inc(count)

    def error(self) -> None:
        self._errors.labels(agent=self.agent).inc()

    def dead_letter(self) -> None:
        self._dead_letters.labels(agent=self.agent).inc()

    def snapshot_written(self, count: int = 1) -> None:
        self._snapshots.labels(agent=self.agent).inc(count)

    def processing(self, seconds: float, events: int = 1) -> None:
        """Record a processing time; a batch counts as ``events`` equal observations."""
        if events <= 0:
            return
        per_event = seconds / events
        child = self._processing.labels(agent=self.agent)
        for _ in range(events):
            child.observe(per_event)

    def processor_counters(self, values: Mapping[str, float]) -> None:
        for name, value in values.items():
            self._counters.labels(agent=self.agent, name=name).set(value)

    def lag(self, topic: str, partition: int, lag: int) -> None:
        self._lag.labels(agent=self.agent, topic=topic, partition=str(partition)).set(lag)

    def value(self, name: str, **labels: str) -> float:
        """Current value of a sample (e.g. ``tapewire_errors_total``), 0 when absent."""
        found = self.registry.get_sample_value(name, {"agent": self.agent, **labels})
        return found if found is not None else 0.0

    def total(self, name: str) -> float:
        """Sum of a sample over all its label values for this agent (e.g. every topic)."""
        return sum(
            sample.value
            for family in self.registry.collect()
            for sample in family.samples
            if sample.name == name and sample.labels.get("agent") == self.agent
        )

    def render(self) -> bytes:
        """The Prometheus text exposition of this agent's metrics."""
        return generate_latest(self.registry)
