"""What ``tapewire topics apply`` would do to one topic: create, set configs, or report drift.

Pure functions over what the broker reported, so the rules are unit-tested without a broker.
The rules never destroy data:

- a missing topic is created with the spec's partitions, replication factor and configs;
- ``retention.ms`` is set when the broker shows no value or its default, or when the new
  value keeps data at least as long; a shorter retention would delete data and is drift;
- ``cleanup.policy`` is set only when the broker shows none and the spec wants ``delete``
  (Kafka's default, so nothing changes); any other difference is drift, because switching a
  topic to or from compaction removes records;
- partition count and replication factor are never changed: adding partitions moves keys to
  other partitions (breaking per-key order and snapshot instances), and removing them is
  impossible; both are reported as drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from streams.topics.spec import TopicSpec

RETENTION = "retention.ms"
CLEANUP = "cleanup.policy"
KAFKA_DEFAULT_CLEANUP = "delete"


@dataclass(frozen=True, slots=True)
class ConfigValue:
    """A topic config as the broker reports it."""

    value: str
    is_default: bool = False


@dataclass(frozen=True, slots=True)
class ObservedTopic:
    """A topic as the broker reports it (metadata + described configs)."""

    partitions: int
    replication_factor: int
    configs: Mapping[str, ConfigValue] = field(default_factory=dict)

    def config(self, name: str) -> str | None:
        entry = self.configs.get(name)
        return entry.value if entry is not None else None


@dataclass(frozen=True, slots=True)
class Drift:
    """A difference between spec and broker that ``apply`` leaves alone."""

    topic: str
    field: str
    wanted: str
    actual: str
    reason: str

    def describe(self) -> str:
        return f"{self.topic}: {self.field} is {self.actual}, wanted {self.wanted} ({self.reason})"


@dataclass(frozen=True, slots=True)
class TopicPlan:
    """The actions for one topic."""

    spec: TopicSpec
    physical: str
    replication_factor: int
    observed: ObservedTopic | None
    create: bool = False
    set_configs: Mapping[str, str] = field(default_factory=dict)
    drift: tuple[Drift, ...] = ()

    @property
    def in_sync(self) -> bool:
        return not self.create and not self.set_configs and not self.drift


def plan_topic(
    spec: TopicSpec,
    physical: str,
    observed: ObservedTopic | None,
    replication_factor: int | None = None,
) -> TopicPlan:
    """Decide what to do for ``spec`` given what the broker shows (None = topic missing).

    ``replication_factor`` overrides the spec's (a cluster may need 3 where the spec says 1).
    """
    factor = replication_factor if replication_factor is not None else spec.replication_factor
    if observed is None:
        return TopicPlan(spec, physical, factor, None, create=True)
    drift: list[Drift] = []
    if observed.partitions != spec.partitions:
        reason = (
            "adding partitions would move keys to other partitions; recreate or add by hand"
            if observed.partitions < spec.partitions
            else "partitions cannot be removed"
        )
        drift.append(
            Drift(physical, "partitions", str(spec.partitions), str(observed.partitions), reason)
        )
    if observed.replication_factor != factor:
        drift.append(
            Drift(
                physical,
                "replication factor",
                str(factor),
                str(observed.replication_factor),
                "reassign replicas with the broker's tools",
            )
        )
    configs: dict[str, str] = {}
    cleanup = observed.config(CLEANUP)
    if cleanup is None and spec.cleanup_policy == KAFKA_DEFAULT_CLEANUP:
        configs[CLEANUP] = spec.cleanup_policy
    elif (cleanup or KAFKA_DEFAULT_CLEANUP) != spec.cleanup_policy:
        drift.append(
            Drift(
                physical,
                CLEANUP,
                spec.cleanup_policy,
                cleanup or f"unset ({KAFKA_DEFAULT_CLEANUP})",
                "changing compaction removes records; migrate to a new topic",
            )
        )
    retention = observed.configs.get(RETENTION)
    wanted = str(spec.retention_ms)
    if retention is None or (retention.value != wanted and retention.is_default):
        configs[RETENTION] = wanted
    elif retention.value != wanted:
        if keeps_longer(spec.retention_ms, retention.value):
            configs[RETENTION] = wanted
        else:
            drift.append(
                Drift(
                    physical,
                    RETENTION,
                    wanted,
                    retention.value,
                    "a shorter retention would delete data; set it by hand",
                )
            )
    return TopicPlan(spec, physical, factor, observed, set_configs=configs, drift=tuple(drift))


def keeps_longer(wanted_ms: int, actual: str) -> bool:
    """True if retention ``wanted_ms`` keeps data at least as long as ``actual`` (-1 = forever)."""
    try:
        actual_ms = int(actual)
    except ValueError:
        return False
    if wanted_ms == -1:
        return True
    return actual_ms != -1 and wanted_ms >= actual_ms
