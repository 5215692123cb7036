"""``tapewire agent NAME``: run one agent (processor or source) as a worker process.

``NAME`` is a module in :mod:`streams.agents` defining ``AGENT`` (e.g. ``running_totals``) or
``package.module:attribute`` for agents outside the package (tests, user strategies). A
processor agent runs on its spec's host unless ``--host`` overrides it; a source runs on the
source host. SIGTERM (and Ctrl-C) stop it cleanly: outputs flushed, final snapshot written,
offsets committed, exit code 0.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

from streams.errors import ConfigError
from streams.runtime.agent_spec import AgentSpec, SourceSpec
from streams.runtime.runner import run_agent
from streams.settings import load_settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "agent", help="run one agent (streams.agents.<name> or module:attribute)"
    )
    parser.add_argument("name", help="agent module in streams.agents, or module:attribute")
    parser.add_argument("--host", choices=("faust", "bulk"), help="override the agent's host")
    parser.add_argument("--group", help="consumer group id (default: <topic prefix><name>)")
    parser.add_argument("--topic-prefix", help="prefix of every physical topic name")
    parser.add_argument("--metrics-port", type=int, help="/metrics, /healthz, /readyz port")
    parser.add_argument("--batch-size", type=int, default=1000, help="records per batch")
    parser.set_defaults(handler=_run)


def load_spec(name: str) -> AgentSpec | SourceSpec:
    """The ``AGENT`` of ``streams.agents.<name>``, or the attribute ``module:attribute``."""
    module_name, _, attribute = name.partition(":")
    if not attribute:
        module_name, attribute = f"streams.agents.{name}", "AGENT"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ConfigError("agent", f"no agent module {module_name!r}: {exc}") from exc
    spec = getattr(module, attribute, None)
    if not isinstance(spec, AgentSpec | SourceSpec):
        raise ConfigError("agent", f"{module_name}:{attribute} is not an AgentSpec or SourceSpec")
    return spec


def _run(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {}
    if args.topic_prefix is not None:
        overrides["topic_prefix"] = args.topic_prefix
    if args.metrics_port is not None:
        overrides["metrics_port"] = args.metrics_port
    settings = load_settings(**overrides)
    if args.batch_size <= 0:
        raise ConfigError("batch_size", "must be positive")
    return run_agent(
        load_spec(args.name),
        settings,
        host=args.host,
        group_id=args.group,
        batch_size=args.batch_size,
    )
