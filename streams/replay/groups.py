"""Consumer groups through the admin API: who is in them, what they committed, rewinding.

The embedded broker reports an active group as STABLE with an empty member list, so a group
counts as active when it has members *or* its state is not EMPTY/DEAD; the refusal names the
members where the broker lists them and the state where it does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from streams.errors import BrokerError, BrokerUnavailableError, TapewireError

_MEMBERSHIP_ERRORS = frozenset(
    {
        KafkaError.UNKNOWN_MEMBER_ID,
        KafkaError.REBALANCE_IN_PROGRESS,
        KafkaError.ILLEGAL_GENERATION,
    }
)
_IDLE_STATES = frozenset({"EMPTY", "DEAD", "UNKNOWN"})
_TIMEOUT = 15.0


class GroupActiveError(TapewireError):
    """The group still has members; rewinding it now would race with them."""


@dataclass(frozen=True, slots=True)
class Member:
    member_id: str
    client_id: str
    host: str
    assignment: tuple[tuple[str, int], ...]

    def describe(self) -> str:
        parts = ", ".join(f"{t}[{p}]" for t, p in self.assignment) or "no partitions"
        return f"{self.client_id or self.member_id} at {self.host} ({parts})"


@dataclass(frozen=True, slots=True)
class GroupInfo:
    group_id: str
    state: str
    members: tuple[Member, ...]

    @property
    def active(self) -> bool:
        return bool(self.members) or self.state not in _IDLE_STATES


class GroupAdmin:
    """Thin, typed wrapper over the AdminClient calls replay and status need."""

    def __init__(
        self, bootstrap_servers: str, extra: Mapping[str, str | int | float | bool] | None = None
    ) -> None:
        config: dict[str, str | int | float | bool] = {"bootstrap.servers": bootstrap_servers}
        config.update(extra or {})
        self._admin = AdminClient(config)

    def list_groups(self) -> list[str]:
        try:
            result = self._admin.list_consumer_groups(request_timeout=_TIMEOUT).result()
        except KafkaException as exc:
            raise BrokerUnavailableError(f"listing consumer groups: {exc}") from exc
        return sorted(g.group_id for g in result.valid)

    def describe(self, group: str) -> GroupInfo:
        try:
            futures = self._admin.describe_consumer_groups([group], request_timeout=_TIMEOUT)
            desc = futures[group].result()
        except KafkaException as exc:
            raise BrokerUnavailableError(f"describing group {group!r}: {exc}") from exc
        members = tuple(
            Member(
                member_id=str(m.member_id),
                client_id=str(m.client_id),
                host=str(m.host),
                assignment=tuple(
                    (tp.topic, tp.partition)
                    for tp in (m.assignment.topic_partitions if m.assignment else [])
                ),
            )
            for m in desc.members
        )
        return GroupInfo(group_id=group, state=str(desc.state.name), members=members)

    def committed(self, group: str) -> dict[tuple[str, int], int]:
        """The group's committed offsets (partitions with no commit are left out)."""
        try:
            futures = self._admin.list_consumer_group_offsets(
                [ConsumerGroupTopicPartitions(group)], request_timeout=_TIMEOUT
            )
            result = futures[group].result()
        except KafkaException as exc:
            raise BrokerUnavailableError(f"committed offsets of {group!r}: {exc}") from exc
        return {
            (tp.topic, tp.partition): int(tp.offset)
            for tp in result.topic_partitions or []
            if tp.offset >= 0
        }

    def ensure_inactive(self, group: str) -> GroupInfo:
        info = self.describe(group)
        if info.active:
            if info.members:
                who = "; ".join(m.describe() for m in info.members)
                raise GroupActiveError(
                    f"group {group!r} has {len(info.members)} active member(s): {who}. "
                    "Stop those agents, then rewind."
                )
            raise GroupActiveError(
                f"group {group!r} is {info.state} (the broker lists no members, but the group is "
                "not empty). Stop the agents consuming with this group, then rewind."
            )
        return info

    def rewind(self, group: str, offsets: Mapping[tuple[str, int], int]) -> None:
        """Set the group's committed offsets (the group must be inactive)."""
        request = ConsumerGroupTopicPartitions(
            group, [TopicPartition(t, p, o) for (t, p), o in sorted(offsets.items())]
        )
        try:
            result = self._admin.alter_consumer_group_offsets([request], request_timeout=_TIMEOUT)[
                group
            ].result()
        except KafkaException as exc:
            raise BrokerError(f"rewinding group {group!r}: {exc}") from exc
        failed = [tp for tp in result.topic_partitions or [] if tp.error is not None]
        if any(tp.error.code() in _MEMBERSHIP_ERRORS for tp in failed if tp.error is not None):
            raise GroupActiveError(
                f"group {group!r} became active while rewinding (the broker answered "
                f"{failed[0].error}); stop its agents and try again"
            )
        if failed:
            raise BrokerError(f"rewinding group {group!r} failed for {failed}")
