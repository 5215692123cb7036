"""The rules of `topics apply`: create, set safe configs, report everything else as drift."""

from __future__ import annotations

import pytest
from streams.topics.plan import (
    ConfigValue,
    ObservedTopic,
    keeps_longer,
    plan_topic,
)
from streams.topics.spec import TopicSpec

TICK = TopicSpec(
    name="md.tick",
    partitions=3,
    replication_factor=1,
    cleanup_policy="delete",
    retention_ms=604_800_000,
    key="instrument",
    value_schema="md.tick",
    producers=("tick_normalizer",),
    description="ticks",
)
CONTROL = TICK.model_copy(
    update={
        "name": "system.control",
        "partitions": 1,
        "cleanup_policy": "compact",
        "retention_ms": -1,
    }
)


def _observed(
    partitions: int = 3, replication: int = 1, **configs: tuple[str, bool]
) -> ObservedTopic:
    values = {key.replace("_", "."): ConfigValue(v, d) for key, (v, d) in configs.items()}
    return ObservedTopic(partitions, replication, values)


def test_a_missing_topic_is_created() -> None:
    plan = plan_topic(TICK, "p.md.tick", None)

    assert plan.create
    assert plan.physical == "p.md.tick"
    assert plan.replication_factor == 1
    assert not plan.in_sync


def test_a_matching_topic_is_in_sync() -> None:
    observed = _observed(cleanup_policy=("delete", False), retention_ms=("604800000", False))

    assert plan_topic(TICK, "md.tick", observed).in_sync


def test_partition_differences_are_drift_never_changes() -> None:
    fewer = plan_topic(TICK, "md.tick", _observed(partitions=1, cleanup_policy=("delete", False)))
    more = plan_topic(TICK, "md.tick", _observed(partitions=6, cleanup_policy=("delete", False)))

    assert [(d.field, d.wanted, d.actual) for d in fewer.drift] == [("partitions", "3", "1")]
    assert "move keys" in fewer.drift[0].reason
    assert [(d.field, d.actual) for d in more.drift] == [("partitions", "6")]
    assert "cannot be removed" in more.drift[0].reason
    assert "md.tick: partitions is 1, wanted 3" in fewer.drift[0].describe()


def test_a_different_cleanup_policy_is_drift() -> None:
    plan = plan_topic(TICK, "md.tick", _observed(cleanup_policy=("compact", False)))

    assert [(d.field, d.wanted, d.actual) for d in plan.drift] == [
        ("cleanup.policy", "delete", "compact")
    ]
    assert "cleanup.policy" not in plan.set_configs


def test_an_unset_cleanup_policy_is_set_to_delete_but_never_to_compact() -> None:
    tick = plan_topic(TICK, "md.tick", _observed())
    control = plan_topic(CONTROL, "system.control", _observed(partitions=1))

    assert tick.set_configs == {"cleanup.policy": "delete", "retention.ms": "604800000"}
    assert not tick.drift
    assert [(d.field, d.actual) for d in control.drift] == [("cleanup.policy", "unset (delete)")]
    assert control.set_configs == {"retention.ms": "-1"}


@pytest.mark.parametrize(
    ("actual", "is_default", "expected"),
    [
        ("86400000", False, "set"),  # 1 day -> 7 days keeps data longer
        ("-1", False, "drift"),  # forever -> 7 days would delete data
        ("2592000000", False, "drift"),  # 30 days -> 7 days would delete data
        ("2592000000", True, "set"),  # a broker default was never chosen for this topic
        ("604800000", False, "none"),
    ],
)
def test_retention_is_changed_only_when_no_data_is_lost(
    actual: str, is_default: bool, expected: str
) -> None:
    observed = _observed(cleanup_policy=("delete", False), retention_ms=(actual, is_default))

    plan = plan_topic(TICK, "md.tick", observed)

    outcome = "set" if plan.set_configs else "drift" if plan.drift else "none"
    assert outcome == expected
    if expected == "set":
        assert plan.set_configs == {"retention.ms": "604800000"}


def test_the_replication_factor_can_be_overridden_and_is_otherwise_drift() -> None:
    observed = _observed(cleanup_policy=("delete", False), retention_ms=("604800000", False))

    assert plan_topic(TICK, "md.tick", observed, replication_factor=1).in_sync
    plan = plan_topic(TICK, "md.tick", observed, replication_factor=3)
    assert [(d.field, d.wanted, d.actual) for d in plan.drift] == [("replication factor", "3", "1")]
    assert plan_topic(TICK, "md.tick", None, replication_factor=3).replication_factor == 3


@pytest.mark.parametrize(
    ("wanted", "actual", "longer"),
    [
        (-1, "-1", True),
        (-1, "5", True),
        (10, "-1", False),
        (10, "5", True),
        (5, "10", False),
        (5, "x", False),
    ],
)
def test_keeps_longer(wanted: int, actual: str, longer: bool) -> None:
    assert keeps_longer(wanted, actual) is longer
