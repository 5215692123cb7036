"""Entry point of the ``tapewire`` console script.

Every module in :mod:`streams.cli` (other than this one and private ``_*`` modules) that
defines ``register(subparsers)`` contributes sub-commands; a command sets ``handler`` with
``parser.set_defaults(handler=fn)`` where ``fn(args) -> int`` returns the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Callable, Sequence
from typing import cast

import streams.cli
from streams import __version__
from streams.errors import ConfigError, TapewireError

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tapewire", description="Tapewire: event-driven trading on a Kafka-compatible log."
    )
    parser.add_argument("--version", action="version", version=f"tapewire {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(streams.cli.__path__), key=lambda m: m.name):
        if info.name == "main" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"streams.cli.{info.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = cast(Handler, args.handler)
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"tapewire: configuration error: {exc}", file=sys.stderr)
        return 2
    except TapewireError as exc:
        print(f"tapewire: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
