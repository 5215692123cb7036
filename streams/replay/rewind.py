"""Plan and apply a rewind of one consumer group (the I/O half of ``tapewire replay``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from streams.errors import ConfigError
from streams.replay.groups import GroupAdmin
from streams.replay.offsets import OffsetProbe
from streams.replay.plan import PartitionPlan, ReplayPlan, build_plan, clamp
from streams.replay.targets import Target


def resolve_topics(
    requested: Sequence[str], committed: dict[tuple[str, int], int], prefix: str
) -> list[str]:
    """Topics to rewind: those asked for (physical, or logical + prefix), else the group's own."""
    if not requested:
        topics = sorted({topic for topic, _ in committed})
        if not topics:
            raise ConfigError(
                "--topic", "the group has no committed offsets; name the topics to rewind"
            )
        return topics
    known = {topic for topic, _ in committed}
    resolved: list[str] = []
    for name in requested:
        prefixed = f"{prefix}{name}"
        resolved.append(prefixed if prefix and prefixed in known and name not in known else name)
    return resolved


def plan_replay(
    bootstrap_servers: str,
    group: str,
    target: Target,
    topics: Sequence[str] = (),
    *,
    topic_prefix: str = "",
    admin: GroupAdmin | None = None,
    client: Mapping[str, str | int | float | bool] | None = None,
) -> ReplayPlan:
    """Look up current, true end and target offsets for every partition to rewind.

    ``client`` carries connection security (SASL/TLS) for the probe and the admin client.
    """
    admin = admin or GroupAdmin(bootstrap_servers, client)
    committed = admin.committed(group)
    chosen = resolve_topics(topics, committed, topic_prefix)
    rows: list[PartitionPlan] = []
    with OffsetProbe(bootstrap_servers, extra=client) as probe:
        for topic in chosen:
            for partition in probe.partitions(topic):
                low, _ = probe.reported_watermarks(topic, partition)
                end = probe.true_end(topic, partition)
                rows.append(
                    PartitionPlan(
                        topic=topic,
                        partition=partition,
                        current=committed.get((topic, partition)),
                        target=_target_offset(probe, target, topic, partition, low=low, end=end),
                        low=low,
                        end=end,
                    )
                )
    return build_plan(group, target, rows)


def _target_offset(
    probe: OffsetProbe, target: Target, topic: str, partition: int, *, low: int, end: int
) -> int:
    if target.kind == "earliest":
        return low
    if target.kind == "latest":
        return end
    if target.kind == "offset" and target.offset is not None:
        return clamp(target.offset, low, end)
    if target.kind == "time" and target.time is not None:
        offset, _ = probe.offset_for_time(topic, partition, target.time, low, end)
        return offset
    raise ConfigError("--to", f"incomplete target {target!r}")


def apply_plan(plan: ReplayPlan, bootstrap_servers: str, admin: GroupAdmin | None = None) -> None:
    """Refuse if the group is active, else commit the plan's target offsets for the group."""
    admin = admin or GroupAdmin(bootstrap_servers)
    admin.ensure_inactive(plan.group)
    admin.rewind(plan.group, {(p.topic, p.partition): p.target for p in plan.partitions})
