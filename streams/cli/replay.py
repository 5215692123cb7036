"""``tapewire replay``: rewind a consumer group (and its agent's snapshots) to a target.

Prints the plan — per partition the committed offset, the target, the true end and the records
from the target to the end; for a stateful agent what happens to each snapshot key — then
applies it: the group's offsets with the admin API, then the snapshot tombstones and
re-publications. Refuses while the group has active members. See docs/replay.md.
"""

from __future__ import annotations

import argparse
import uuid
from datetime import UTC, datetime
from typing import Any

from streams.replay.agents import ReplayAgent, resolve_agent, start_instructions
from streams.replay.groups import GroupAdmin
from streams.replay.plan import ReplayPlan
from streams.replay.rewind import apply_plan, plan_replay
from streams.replay.snapshots import apply_state, plan_state
from streams.replay.state import StatePlan
from streams.replay.targets import parse_target
from streams.runtime.kafka_config import security_config
from streams.settings import Settings, load_settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "replay",
        help="rewind a consumer group and its agent's snapshots (--dry-run: plan only)",
        description=(
            "Rewind an inactive consumer group. Prints, per partition, the committed offset, "
            "the target, the true end and the records from the target to the end, and for a "
            "stateful agent what happens to its snapshots; then applies the plan. Refuses "
            "while the group has active members."
        ),
    )
    parser.add_argument("--group", required=True, help="consumer group to rewind")
    parser.add_argument("--to", required=True, help="earliest | latest | ISO-8601 time | offset")
    parser.add_argument(
        "--topic", action="append", default=[], help="topic to rewind (repeat); default: all"
    )
    parser.add_argument(
        "--agent",
        help="agent of the group (streams.agents.<name> or module:attribute); "
        "default: inferred when the group is named <topic prefix><agent name>",
    )
    parser.add_argument(
        "--snapshot-topic", help="logical snapshot topic (default: the agent's snapshot_topic)"
    )
    parser.add_argument("--run-id", help="run id to print for the replayed agents' outputs")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    parser.set_defaults(handler=_replay)


def _replay(args: argparse.Namespace) -> int:
    settings = load_settings()
    target = parse_target(args.to)
    agent = resolve_agent(
        settings, args.group, agent=args.agent, snapshot_topic=args.snapshot_topic
    )
    client = security_config(settings)
    admin = GroupAdmin(settings.bootstrap_servers, client)
    if not args.dry_run:
        admin.ensure_inactive(args.group)  # before the snapshot topic is touched
    plan = plan_replay(
        settings.bootstrap_servers,
        args.group,
        target,
        args.topic,
        topic_prefix=settings.topic_prefix,
        admin=admin,
        client=client,
    )
    print(plan.format())
    state = _state_plan(settings, agent, plan, marker=not args.dry_run)
    print(_describe_agent(agent, args.group))
    if state is not None:
        print(state.format())
    run_id = args.run_id or _new_run_id()
    guide = start_instructions(
        agent,
        args.group,
        settings,
        run_id=run_id,
        run_id_supported="run_id" in Settings.model_fields,
    )
    if args.dry_run:
        info = admin.describe(args.group)
        if info.active:
            print(f"note: group {args.group!r} is {info.state}; applying would be refused")
        print("dry run: nothing changed")
        print(guide)
        return 0
    apply_plan(plan, settings.bootstrap_servers, admin=admin)
    print(f"group {args.group!r} rewound")
    if state is not None:
        written = apply_state(settings, state)
        print(f"{written} snapshot record(s) written to {state.topic}")
    print(guide)
    return 0


def _state_plan(
    settings: Settings, agent: ReplayAgent | None, plan: ReplayPlan, *, marker: bool
) -> StatePlan | None:
    if agent is None or agent.kind != "stateful" or agent.snapshot_topic is None:
        return None
    targets = {(p.topic, p.partition): p.target for p in plan.partitions}
    return plan_state(
        settings,
        agent.name,
        settings.topic(agent.snapshot_topic),
        plan.target.kind,
        targets,
        marker=marker,
    )


def _describe_agent(agent: ReplayAgent | None, group: str) -> str:
    if agent is not None:
        return agent.describe()
    return (
        f"no agent inferred for group {group!r}: only its offsets move. If a stateful agent "
        "consumes with it, pass --agent NAME: such agents resume from their snapshots, not "
        "from the group's offsets"
    )


def _new_run_id() -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"replay-{stamp}-{uuid.uuid4().hex[:6]}"
