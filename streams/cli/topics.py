"""``tapewire topics apply|list|describe``: make the broker match topics/topics.yaml.

The broker comes from the settings (``TAPEWIRE_BOOTSTRAP_SERVERS``) and every physical
name carries ``TAPEWIRE_TOPIC_PREFIX``. ``apply`` exits with code 1 when drift remains.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from streams.settings import load_settings
from streams.topics.admin import apply_topics, plan_topics
from streams.topics.plan import CLEANUP, RETENTION, TopicPlan
from streams.topics.spec import TopicCatalog, load_topics


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "topics", help="create and inspect the topics of topics/topics.yaml"
    )
    parser.add_argument(
        "--file", type=Path, default=None, help="topics file (default: the project's)"
    )
    cmds = parser.add_subparsers(dest="topics_command", required=True)
    apply = cmds.add_parser("apply", help="create missing topics, set configs, report drift")
    apply.add_argument(
        "--replication-factor",
        type=int,
        default=None,
        help="override every topic's replication factor (e.g. 3 on a cluster)",
    )
    apply.set_defaults(handler=_apply)
    listing = cmds.add_parser("list", help="every topic of the file and whether it exists")
    listing.set_defaults(handler=_list)
    describe = cmds.add_parser("describe", help="one topic: spec versus broker")
    describe.add_argument("name", help="logical topic name, e.g. md.tick")
    describe.set_defaults(handler=_describe)


def _catalog(args: argparse.Namespace) -> TopicCatalog:
    catalog = load_topics(args.file)
    catalog.check_schemas()
    return catalog


def _apply(args: argparse.Namespace) -> int:
    settings = load_settings()
    plans = apply_topics(
        settings.bootstrap_servers,
        _catalog(args),
        settings.topic_prefix,
        replication_factor=args.replication_factor,
    )
    for plan in plans:
        if plan.create:
            configs = ", ".join(f"{k}={v}" for k, v in plan.spec.configs().items())
            count = plan.spec.partitions
            print(f"created  {plan.physical} ({count} partition{'s' * (count > 1)}, {configs})")
        elif plan.set_configs:
            changes = ", ".join(
                f"{key} {_observed(plan, key)} -> {value}"
                for key, value in sorted(plan.set_configs.items())
            )
            print(f"updated  {plan.physical}: {changes}")
        for drift in plan.drift:
            print(f"DRIFT    {drift.describe()}")
    created = sum(plan.create for plan in plans)
    updated = sum(bool(plan.set_configs) for plan in plans)
    drifted = sum(bool(plan.drift) for plan in plans)
    print(
        f"{len(plans)} topics: {created} created, {updated} updated, "
        f"{len(plans) - created - updated - drifted} unchanged, {drifted} with drift"
        f" on {settings.bootstrap_servers}"
    )
    return 1 if drifted else 0


def _list(args: argparse.Namespace) -> int:
    settings = load_settings()
    plans = plan_topics(settings.bootstrap_servers, _catalog(args), settings.topic_prefix)
    width = max(len(plan.physical) for plan in plans)
    key_width = max(len(plan.spec.key) for plan in plans)
    print(f"{'topic':<{width}}  exists  partitions  cleanup  {'key':<{key_width}}  value schema")
    for plan in plans:
        exists = "yes" if plan.observed is not None else "no"
        found = str(plan.observed.partitions) if plan.observed is not None else "-"
        partitions = f"{found}/{plan.spec.partitions}"
        state = "" if plan.in_sync or plan.observed is None else "  (drift: see describe)"
        print(
            f"{plan.physical:<{width}}  {exists:<6}  {partitions:<10}  "
            f"{plan.spec.cleanup_policy:<7}  {plan.spec.key:<{key_width}}  "
            f"{plan.spec.value_schema}{state}"
        )
    missing = sum(plan.observed is None for plan in plans)
    print(f"{len(plans) - missing} of {len(plans)} topics exist on {settings.bootstrap_servers}")
    return 0


def _describe(args: argparse.Namespace) -> int:
    settings = load_settings()
    catalog = _catalog(args)
    spec = catalog[args.name]
    plan = next(
        p
        for p in plan_topics(settings.bootstrap_servers, catalog, settings.topic_prefix)
        if p.spec.name == spec.name
    )
    observed = plan.observed
    rows = [
        ("topic", spec.name, plan.physical),
        ("partitions", str(spec.partitions), str(observed.partitions) if observed else "-"),
        (
            "replication factor",
            str(plan.replication_factor),
            str(observed.replication_factor) if observed else "-",
        ),
        (CLEANUP, spec.cleanup_policy, _observed(plan, CLEANUP)),
        (RETENTION, str(spec.retention_ms), _observed(plan, RETENTION)),
    ]
    print(f"{'':<20}{'spec':<28}broker")
    for label, wanted, actual in rows:
        print(f"{label:<20}{wanted:<28}{actual}")
    print(f"{'key':<20}{spec.key}")
    print(f"{'value schema':<20}{spec.value_schema}")
    print(f"{'producers':<20}{', '.join(spec.producers)}")
    print(f"{'description':<20}{spec.description}")
    if observed is None:
        print("state               missing on the broker (`tapewire topics apply` creates it)")
    elif plan.in_sync:
        print("state               in sync")
    else:
        for key, value in sorted(plan.set_configs.items()):
            print(f"state               apply would set {key}={value}")
        for drift in plan.drift:
            print(f"drift               {drift.describe()}")
    return 0


def _observed(plan: TopicPlan, key: str) -> str:
    if plan.observed is None:
        return "-"
    value = plan.observed.config(key)
    return value if value is not None else "(unset)"
