"""Operator switches and loss halts: who may trade right now.

* ``KILL`` (GLOBAL, STRATEGY <name> or ACCOUNT <name>) stops every new intent of the scope
  from the moment the control record is processed; ``RESUME`` of the same scope lifts it.
* ``DISABLE_STRATEGY`` / ``ENABLE_STRATEGY`` switch one strategy off and on.
* A halt is set by the gate itself when a loss or drawdown limit is breached (GLOBAL,
  STRATEGY or ACCOUNT scope) and lifted only by ``CLEAR_HALT`` of the same scope.

Reason codes: ``KILL_SWITCH``, ``STRATEGY_DISABLED``, ``HALTED``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from streams.errors import ProcessingError

KILL_SWITCH: Final = "KILL_SWITCH"
STRATEGY_DISABLED: Final = "STRATEGY_DISABLED"
HALTED: Final = "HALTED"
_SCOPES: Final = frozenset({"GLOBAL", "STRATEGY", "ACCOUNT"})


def scope_key(scope: str, target: str | None) -> str:
    """``GLOBAL``, ``STRATEGY:<name>`` or ``ACCOUNT:<name>``."""
    if scope not in _SCOPES:
        raise ProcessingError(f"unknown control scope {scope!r}")
    if scope == "GLOBAL":
        return "GLOBAL"
    if not target:
        raise ProcessingError(f"a {scope} control needs a target (strategy or account name)")
    return f"{scope}:{target}"


def intent_scopes(account: str, strategy: str) -> tuple[str, str, str]:
    """The scope keys an intent of ``account``/``strategy`` falls under."""
    return ("GLOBAL", f"STRATEGY:{strategy}", f"ACCOUNT:{account}")


@dataclass(frozen=True, slots=True)
class Block:
    """Why an intent may not trade: a reason code and a message."""

    code: str
    message: str


@dataclass(slots=True)
class TradingControls:
    """Kill switches, disabled strategies and halts (scope key -> breached limit)."""

    kills: set[str] = field(default_factory=set)
    disabled_strategies: set[str] = field(default_factory=set)
    halts: dict[str, str] = field(default_factory=dict)

    def apply(self, control: dict[str, Any]) -> None:
        """Apply one ``system.control`` value."""
        command = str(control["command"])
        key = scope_key(str(control["scope"]), control.get("target"))
        if command == "KILL":
            self.kills.add(key)
        elif command == "RESUME":
            self.kills.discard(key)
        elif command == "CLEAR_HALT":
            self.halts.pop(key, None)
        elif command in ("DISABLE_STRATEGY", "ENABLE_STRATEGY"):
            if not key.startswith("STRATEGY:"):
                raise ProcessingError(f"{command} needs scope STRATEGY, got {control['scope']}")
            name = key.removeprefix("STRATEGY:")
            if command == "DISABLE_STRATEGY":
                self.disabled_strategies.add(name)
            else:
                self.disabled_strategies.discard(name)
        else:
            raise ProcessingError(f"unknown control command {command!r}")

    def halt(self, key: str, limit: str) -> bool:
        """Halt ``key`` for ``limit``; False if it was already halted."""
        if key in self.halts:
            return False
        self.halts[key] = limit
        return True

    def blocks(self, account: str, strategy: str) -> list[Block]:
        """Every switch that stops an intent of ``account``/``strategy``."""
        found: list[Block] = []
        for key in intent_scopes(account, strategy):
            if key in self.kills:
                found.append(Block(KILL_SWITCH, f"kill switch {key} is on"))
            if key in self.halts:
                found.append(Block(HALTED, f"{key} halted after a {self.halts[key]} breach"))
        if strategy in self.disabled_strategies:
            found.append(Block(STRATEGY_DISABLED, f"strategy {strategy} is disabled"))
        return found

    def to_json(self) -> str:
        return json.dumps(
            {
                "kills": sorted(self.kills),
                "disabled_strategies": sorted(self.disabled_strategies),
                "halts": dict(sorted(self.halts.items())),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> TradingControls:
        data = json.loads(text)
        return cls(
            kills=set(data["kills"]),
            disabled_strategies=set(data["disabled_strategies"]),
            halts=dict(data["halts"]),
        )
