"""``tapewire control``: operator commands on ``system.control`` (kill switches, halts).

The topic is compacted and keyed ``scope:target``, so the latest command per switch is what
every agent sees on start; strategies, the risk gate and the order manager honour it at once.
"""

from __future__ import annotations

import argparse
import getpass
import uuid
from datetime import datetime
from typing import Any, Final

from confluent_kafka import KafkaException, Producer

from streams.clock import SystemClock
from streams.codec.codec import AvroCodec
from streams.errors import BrokerUnavailableError, ConfigError
from streams.events import envelope
from streams.runtime.kafka_config import producer_config
from streams.settings import load_settings

TOPIC: Final = "system.control"
_COMMANDS: Final = {
    "kill": "KILL",
    "resume": "RESUME",
    "enable": "ENABLE_STRATEGY",
    "disable": "DISABLE_STRATEGY",
    "clear-halt": "CLEAR_HALT",
}


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "control", help="kill switches, strategy enable/disable, clearing risk halts"
    )
    parser.add_argument("action", choices=sorted(_COMMANDS), help="what to do")
    parser.add_argument(
        "--scope", choices=["global", "strategy", "account"], default="global", help="whom"
    )
    parser.add_argument("--target", help="strategy or account name (not for --scope global)")
    parser.add_argument("--reason", default="", help="why (kept in the log)")
    parser.add_argument("--operator", default=None, help="who (default: the login name)")
    parser.set_defaults(handler=_control)


def control_event(
    action: str, *, scope: str, target: str | None, operator: str, reason: str, now: datetime
) -> tuple[str, dict[str, Any]]:
    """The ``system.control`` key and value for a command; validates scope and target."""
    if action not in _COMMANDS:
        raise ConfigError("action", f"unknown action {action!r}; use one of {sorted(_COMMANDS)}")
    if scope == "global" and target:
        raise ConfigError("--target", "a global command takes no target")
    if scope != "global" and not target:
        raise ConfigError("--target", f"--scope {scope} needs --target NAME")
    command = _COMMANDS[action]
    if command in ("ENABLE_STRATEGY", "DISABLE_STRATEGY") and scope != "strategy":
        raise ConfigError("--scope", f"{action} applies to --scope strategy")
    key = f"{scope.upper()}:{target or '*'}"
    value = {
        "envelope": envelope(
            event_type=TOPIC,
            event_id=str(uuid.uuid4()),
            event_time=now,
            ingest_time=now,
            agent="operator",
        ),
        "command": command,
        "scope": scope.upper(),
        "target": target,
        "operator": operator,
        "reason": reason,
    }
    return key, value


def _control(args: argparse.Namespace) -> int:
    settings = load_settings()
    operator = args.operator or getpass.getuser()
    key, value = control_event(
        args.action,
        scope=args.scope,
        target=args.target,
        operator=operator,
        reason=args.reason,
        now=SystemClock().now(),
    )
    topic = settings.topic(TOPIC)
    codec = AvroCodec.from_settings(settings)
    producer = Producer(producer_config(settings))
    try:
        producer.produce(
            topic,
            key=codec.encode_key(topic, key),
            value=codec.encode_value(topic, TOPIC, value),
        )
        if producer.flush(10) != 0:
            raise BrokerUnavailableError(f"{topic}: the command was not acknowledged within 10 s")
    except KafkaException as exc:
        raise BrokerUnavailableError(f"{topic}: {exc}") from exc
    print(f"{value['command']} {value['scope']} {value['target'] or ''} sent to {topic} ({key})")
    return 0
