"""``tapewire config show``: the effective settings, secrets redacted."""

from __future__ import annotations

import argparse
from typing import Any

import yaml

from streams.settings import load_settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("config", help="show the effective settings")
    cmds = parser.add_subparsers(dest="config_command", required=True)
    show = cmds.add_parser("show", help="print every setting (secrets redacted)")
    show.set_defaults(handler=_show)


def _show(args: argparse.Namespace) -> int:
    del args
    print(yaml.safe_dump(load_settings().redacted(), sort_keys=True), end="")
    return 0
