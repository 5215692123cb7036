"""Broker-side topic administration with confluent-kafka's AdminClient.

:func:`create_topics` is the quick helper tests use for their own prefixed topics.
:func:`plan_topics` compares topics/topics.yaml with the broker (``topics list|describe``)
and :func:`apply_topics` makes the broker match it (``topics apply``). Nothing here deletes
or recreates a topic; the rules for what is changed and what is reported as drift are in
:mod:`streams.topics.plan`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from typing import Any

from confluent_kafka import KafkaError, KafkaException

# confluent-kafka documents these as public but re-exports them without __all__ (mypy strict).
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ResourceType,
)
from confluent_kafka.cimpl import NewTopic

from streams.errors import BrokerError, BrokerUnavailableError
from streams.topics.plan import ConfigValue, ObservedTopic, TopicPlan, plan_topic
from streams.topics.spec import TopicCatalog


def admin_client(bootstrap_servers: str, **config: Any) -> AdminClient:
    """An AdminClient for ``bootstrap_servers`` (extra librdkafka ``config`` allowed)."""
    return AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 0, **config})


def broker_topics(admin: AdminClient, timeout: float = 10.0) -> dict[str, int]:
    """Every topic on the broker with its partition count."""
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException as exc:
        raise BrokerUnavailableError(f"cannot list topics: {exc.args[0]}") from exc
    return {name: len(topic.partitions) for name, topic in metadata.topics.items()}


def create_topics(
    bootstrap_servers: str,
    names_with_partitions: Mapping[str, int] | Iterable[tuple[str, int]],
    config: Mapping[str, str] | None = None,
    *,
    replication_factor: int = 1,
    timeout: float = 15.0,
) -> None:
    """Create topics (name -> partitions) that do not exist and wait until all are visible.

    Every topic gets the same topic ``config`` (e.g. ``{"cleanup.policy": "compact"}``).
    Topics that already exist are left as they are.
    """
    wanted = dict(
        names_with_partitions.items()
        if isinstance(names_with_partitions, Mapping)
        else names_with_partitions
    )
    if not wanted:
        return
    admin = admin_client(bootstrap_servers)
    new = [
        NewTopic(name, partitions, replication_factor, config=dict(config or {}))
        for name, partitions in wanted.items()
    ]
    wait_for_futures(admin.create_topics(new, operation_timeout=timeout), "create topic")
    wait_for_topics(admin, wanted, timeout)


def wait_for_futures(futures: Mapping[Any, Future[Any]], what: str) -> None:
    """Wait for admin futures; an already existing topic is fine, other errors raise."""
    failures: list[str] = []
    for name, future in futures.items():
        try:
            future.result()
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            if error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                continue
            failures.append(f"{name}: {error.str()}")
            if error.retriable():
                raise BrokerUnavailableError(f"{what} failed: {'; '.join(failures)}") from exc
    if failures:
        raise BrokerError(f"{what} failed: {'; '.join(failures)}")


def wait_for_topics(admin: AdminClient, wanted: Mapping[str, int], timeout: float) -> None:
    """Poll metadata until every topic in ``wanted`` exists with at least its partitions."""
    deadline = time.monotonic() + timeout
    while True:
        present = broker_topics(admin, timeout)
        missing = sorted(n for n, p in wanted.items() if present.get(n, 0) < p)
        if not missing:
            return
        if time.monotonic() >= deadline:
            raise BrokerError(f"topics not visible after {timeout:.0f} s: {', '.join(missing)}")
        time.sleep(0.1)


def observe_topics(
    admin: AdminClient, names: Iterable[str], timeout: float = 10.0
) -> dict[str, ObservedTopic]:
    """Partitions, replication factor and configs of those ``names`` that exist on the broker."""
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException as exc:
        raise BrokerUnavailableError(f"cannot list topics: {exc.args[0]}") from exc
    present = [name for name in names if name in metadata.topics]
    if not present:
        return {}
    resources = [ConfigResource(ResourceType.TOPIC, name) for name in present]
    described: dict[str, dict[str, ConfigValue]] = {}
    for resource, future in admin.describe_configs(resources, request_timeout=timeout).items():
        try:
            entries = future.result()
        except KafkaException as exc:
            raise BrokerError(f"cannot describe configs of {resource.name}: {exc.args[0]}") from exc
        described[resource.name] = {
            key: ConfigValue(str(entry.value), bool(entry.is_default))
            for key, entry in entries.items()
            if entry.value is not None
        }
    observed: dict[str, ObservedTopic] = {}
    for name in present:
        partitions = metadata.topics[name].partitions
        replicas = {len(partition.replicas) for partition in partitions.values()}
        observed[name] = ObservedTopic(
            partitions=len(partitions),
            replication_factor=min(replicas, default=0),
            configs=described.get(name, {}),
        )
    return observed


def plan_topics(
    bootstrap_servers: str,
    catalog: TopicCatalog,
    prefix: str = "",
    *,
    replication_factor: int | None = None,
    timeout: float = 10.0,
) -> list[TopicPlan]:
    """What ``apply`` would do for every topic of ``catalog`` (physical name = prefix + name)."""
    admin = admin_client(bootstrap_servers)
    physical = {spec.name: f"{prefix}{spec.name}" for spec in catalog}
    observed = observe_topics(admin, physical.values(), timeout)
    return [
        plan_topic(spec, physical[spec.name], observed.get(physical[spec.name]), replication_factor)
        for spec in catalog
    ]


def apply_topics(
    bootstrap_servers: str,
    catalog: TopicCatalog,
    prefix: str = "",
    *,
    replication_factor: int | None = None,
    timeout: float = 15.0,
) -> list[TopicPlan]:
    """Create missing topics and set the configs that can be set safely; returns the plans.

    Idempotent: a second run on an unchanged broker plans nothing. Drift that cannot be fixed
    without losing data is left alone and returned in the plans (``TopicPlan.drift``).
    """
    plans = plan_topics(
        bootstrap_servers,
        catalog,
        prefix,
        replication_factor=replication_factor,
        timeout=timeout,
    )
    admin = admin_client(bootstrap_servers)
    missing = [plan for plan in plans if plan.create]
    if missing:
        new = [
            NewTopic(
                plan.physical,
                plan.spec.partitions,
                plan.replication_factor,
                config=plan.spec.configs(),
            )
            for plan in missing
        ]
        wait_for_futures(admin.create_topics(new, operation_timeout=timeout), "create topic")
        wait_for_topics(admin, {plan.physical: plan.spec.partitions for plan in missing}, timeout)
    changes = [
        ConfigResource(
            ResourceType.TOPIC,
            plan.physical,
            incremental_configs=[
                ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET)
                for key, value in sorted(plan.set_configs.items())
            ],
        )
        for plan in plans
        if plan.set_configs
    ]
    if changes:
        futures = admin.incremental_alter_configs(changes, request_timeout=timeout)
        wait_for_futures(futures, "set topic config")
    return plans
