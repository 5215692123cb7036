"""``tapewire replay``: rewind a consumer group to earliest, latest, a time or an offset."""

from __future__ import annotations

import argparse
from typing import Any

from streams.replay.rewind import apply_plan, plan_replay
from streams.replay.targets import parse_target
from streams.settings import load_settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "replay",
        help="rewind a consumer group (prints the plan; --dry-run stops there)",
        description=(
            "Rewind an inactive consumer group. Prints, per partition, the committed offset, "
            "the target, the true end and the records to re-read, then applies the plan with "
            "the admin API. Refuses while the group has active members."
        ),
    )
    parser.add_argument("--group", required=True, help="consumer group to rewind")
    parser.add_argument("--to", required=True, help="earliest | latest | ISO-8601 time | offset")
    parser.add_argument(
        "--topic", action="append", default=[], help="topic to rewind (repeat); default: all"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    parser.set_defaults(handler=_replay)


def _replay(args: argparse.Namespace) -> int:
    settings = load_settings()
    target = parse_target(args.to)
    plan = plan_replay(
        settings.bootstrap_servers,
        args.group,
        target,
        args.topic,
        topic_prefix=settings.topic_prefix,
    )
    print(plan.format())
    if args.dry_run:
        print("dry run: nothing changed")
        return 0
    apply_plan(plan, settings.bootstrap_servers)
    print(f"group {args.group!r} rewound")
    return 0
