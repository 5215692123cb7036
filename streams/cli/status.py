"""``tapewire status``: consumer groups with members, committed offsets, end offsets and lag."""

from __future__ import annotations

import argparse
from typing import Any

from streams.replay.groups import GroupAdmin
from streams.replay.offsets import OffsetProbe
from streams.runtime.kafka_config import security_config
from streams.settings import load_settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "status", help="consumer groups: members, committed offsets, end offsets and lag"
    )
    parser.add_argument("--group", action="append", default=[], help="only this group (repeat)")
    parser.add_argument(
        "--reported-ends",
        action="store_true",
        help="use the broker's reported end offsets instead of reading to the true end",
    )
    parser.set_defaults(handler=_status)


def _status(args: argparse.Namespace) -> int:
    settings = load_settings()
    client = security_config(settings)
    admin = GroupAdmin(settings.bootstrap_servers, client)
    groups = args.group or admin.list_groups()
    if not groups:
        print("no consumer groups")
        return 0
    if settings.profile == "embedded" and args.reported_ends:
        print(
            "note: the embedded broker's reported end offsets are wrong after a batched produce "
            "(first offset of the last batch + 1); lag below may be understated"
        )
    with OffsetProbe(settings.bootstrap_servers, extra=client) as probe:
        for group in groups:
            info = admin.describe(group)
            committed = admin.committed(group)
            members = ", ".join(m.describe() for m in info.members) or "none listed"
            print(f"group {group}  state {info.state}  members: {members}")
            print(f"  {'topic':<40} {'part':>4} {'committed':>10} {'end':>10} {'lag':>8}")
            for (topic, partition), offset in sorted(committed.items()):
                if args.reported_ends:
                    _, end = probe.reported_watermarks(topic, partition)
                else:
                    end = probe.true_end(topic, partition)
                lag = max(0, end - offset)
                print(f"  {topic:<40} {partition:>4} {offset:>10} {end:>10} {lag:>8}")
    if not args.reported_ends:
        print("(end offsets found by reading each partition to its end, not from the broker)")
    return 0
