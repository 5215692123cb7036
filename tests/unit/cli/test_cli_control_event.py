"""`tapewire control` builds valid system.control events and rejects bad arguments."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from streams.cli.control import control_event
from streams.codec.codec import AvroCodec
from streams.errors import ConfigError
from streams.settings import load_settings

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_kill_global_and_strategy_events_encode() -> None:
    codec = AvroCodec.from_settings(load_settings())
    for scope, target in (("global", None), ("strategy", "sma_cross"), ("account", "acc-1")):
        key, value = control_event(
            "kill", scope=scope, target=target, operator="ops", reason="test", now=NOW
        )
        assert key == f"{scope.upper()}:{target or '*'}"
        decoded = codec.decode_value(codec.encode_value("system.control", "system.control", value))
        assert decoded["command"] == "KILL"
        assert decoded["scope"] == scope.upper()
        assert decoded["target"] == target


@pytest.mark.parametrize(
    ("action", "scope", "target", "field"),
    [
        ("kill", "global", "x", "--target"),
        ("kill", "strategy", None, "--target"),
        ("disable", "global", None, "--scope"),
        ("explode", "global", None, "action"),
    ],
)
def test_bad_arguments_name_the_field(
    action: str, scope: str, target: str | None, field: str
) -> None:
    with pytest.raises(ConfigError) as info:
        control_event(action, scope=scope, target=target, operator="ops", reason="", now=NOW)
    assert info.value.field == field
