"""``tapewire demo``: start the embedded stack, run every agent on synthetic data, report.

The demo is self-contained: its broker and database run on free ports under
``<data_dir>/demo`` and are stopped at the end (``--keep`` leaves everything running).
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from typing import Any

from streams.db.migrations import migrate
from streams.demo.plan import DEMO_AGENTS, DemoPlan
from streams.demo.readiness import wait_ready
from streams.demo.report import format_counts, strategy_pnl, table_counts
from streams.demo.supervisor import Supervisor
from streams.dev.process import free_port
from streams.dev.stack import EmbeddedStack
from streams.errors import ConfigError, StackError
from streams.resources import resource_dir
from streams.settings import load_settings
from streams.topics.admin import apply_topics
from streams.topics.spec import load_topics


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "demo", help="run the whole chain on the embedded stack with synthetic data"
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the feed runs")
    parser.add_argument(
        "--speed", type=float, default=5.0, help="event time per wall-clock second of the feed"
    )
    parser.add_argument("--rate", type=float, default=200.0, help="ticks per second of event time")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic feed")
    parser.add_argument("--keep", action="store_true", help="leave the stack and agents running")
    parser.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    if args.seconds <= 0:
        raise ConfigError("--seconds", "must be positive")
    if args.speed <= 0:
        raise ConfigError("--speed", "must be positive")
    settings = load_settings()
    data_dir = (settings.data_dir / "demo").resolve()
    if data_dir.exists():
        shutil.rmtree(data_dir)
    stack = EmbeddedStack(data_dir, broker_port=free_port(), postgres_port=free_port())
    print(f"starting the embedded stack in {data_dir}")
    stack.start()
    supervisor = Supervisor(data_dir / "logs")
    try:
        return _run(args, stack, supervisor)
    finally:
        if not args.keep:
            codes = supervisor.stop()
            unclean = {name: code for name, code in codes.items() if code != 0}
            if unclean:
                print(f"agents that did not exit cleanly: {unclean}")
            stack.stop()
            print("stack stopped")


def _run(args: argparse.Namespace, stack: EmbeddedStack, supervisor: Supervisor) -> int:
    print(f"  broker   {stack.bootstrap_servers}\n  database {stack.database_url}")
    plans = apply_topics(stack.bootstrap_servers, load_topics())
    print(f"topics: {sum(1 for p in plans if p.create)} created")
    report = migrate(stack.database_url, resource_dir("sql"))
    print(f"migrations: {len(report.applied)} applied ({report.variant})")
    plan = DemoPlan(
        bootstrap_servers=stack.bootstrap_servers,
        database_url=stack.database_url,
        data_dir=stack.data_dir,
        speed=args.speed,
        rate=args.rate,
        seed=args.seed,
        metrics_ports={name: free_port() for name in DEMO_AGENTS},
    )
    base = dict(os.environ)
    for name in DEMO_AGENTS:
        supervisor.start(name, plan.environment(name, base))
        print(f"started {name:<16} metrics http://127.0.0.1:{plan.metrics_ports[name]}/metrics")
    slow = wait_ready(
        {n: p for n, p in plan.metrics_ports.items() if n != "synthetic_feed"},
        timeout=90,
        check=supervisor.check,
        on_ready=lambda name: print(f"ready   {name}"),
    )
    if slow:
        raise StackError(f"agents not ready after 90 s: {', '.join(slow)} (logs: {plan.data_dir})")
    started = time.monotonic()
    while time.monotonic() - started < args.seconds:
        time.sleep(min(5.0, args.seconds))
        supervisor.check()
        elapsed = time.monotonic() - started
        print(f"[{elapsed:5.1f}s] {format_counts(table_counts(stack.database_url))}")
    time.sleep(3.0)
    counts = table_counts(stack.database_url)
    print("\nrows written by the sink:\n  " + format_counts(counts))
    for row in strategy_pnl(stack.database_url):
        print(
            f"strategy {row.strategy}: realized {row.realized:.2f} unrealized "
            f"{row.unrealized:.2f} fees {row.fees:.2f} net {row.net:.2f}"
        )
    if counts["fills"] == 0:
        print("no fills yet: run longer (--seconds) or faster (--speed) for the strategy to trade")
    print(f"agent logs: {plan.data_dir}")
    if args.keep:
        print("--keep: the stack and the agents keep running; stop them with Ctrl-C / kill")
    return 0
