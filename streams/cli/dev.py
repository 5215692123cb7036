"""``tapewire dev up|status|down``: the embedded broker + PostgreSQL in the background.

Ports and the data directory come from the settings (``TAPEWIRE_BROKER_PORT``,
``TAPEWIRE_POSTGRES_PORT``, ``TAPEWIRE_DATA_DIR``).
"""

from __future__ import annotations

import argparse
from typing import Any

from streams.dev.stack import EmbeddedStack, StackStatus
from streams.settings import load_settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "dev", help="run the embedded broker and PostgreSQL in the background"
    )
    cmds = parser.add_subparsers(dest="dev_command", required=True)
    up = cmds.add_parser("up", help="start both (idempotent) and print connection strings")
    up.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for each (default 30)"
    )
    up.set_defaults(handler=_up)
    status = cmds.add_parser("status", help="show what runs; exit code 1 unless both answer")
    status.set_defaults(handler=_status)
    down = cmds.add_parser("down", help="stop what `dev up` started")
    down.set_defaults(handler=_down)


def _stack() -> EmbeddedStack:
    return EmbeddedStack.from_settings(load_settings())


def _up(args: argparse.Namespace) -> int:
    stack = _stack()
    status = stack.start(timeout=args.timeout)
    _print_status(status)
    print()
    print(f"export TAPEWIRE_BOOTSTRAP_SERVERS={stack.bootstrap_servers}")
    print(f"export TAPEWIRE_DATABASE_URL={stack.database_url}")
    print(f"data, pids and logs: {stack.data_dir}")
    return 0 if status.up else 1


def _status(args: argparse.Namespace) -> int:
    del args
    status = _stack().status()
    _print_status(status)
    return 0 if status.up else 1


def _down(args: argparse.Namespace) -> int:
    del args
    stopped = _stack().stop()
    print(f"stopped: {', '.join(stopped)}" if stopped else "nothing of ours was running")
    return 0


def _print_status(status: StackStatus) -> None:
    for component in status.components:
        print(component.describe())
