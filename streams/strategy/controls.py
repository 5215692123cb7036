"""Operator switches from ``system.control`` and the per-strategy intent rate limit.

Switches (all start off; a strategy is enabled unless disabled):

=====================  ===========  ======================================================
command                scope        effect on this processor
=====================  ===========  ======================================================
``KILL``               GLOBAL       no strategy emits intents until ``RESUME`` GLOBAL
``KILL``               STRATEGY     the target strategy emits nothing until ``RESUME``
``KILL``               ACCOUNT      strategies trading the target account emit nothing
``RESUME``             any          lifts the matching ``KILL``
``DISABLE_STRATEGY``   STRATEGY     the target strategy emits nothing until enabled
``ENABLE_STRATEGY``    STRATEGY     lifts ``DISABLE_STRATEGY``
``CLEAR_HALT``         any          risk-gate halts are not ours: ignored (counted)
=====================  ===========  ======================================================

A killed or disabled strategy keeps evaluating its rules (so crossovers stay armed and no
stale signal fires on resume) but every intent it asks for is suppressed and counted; its
expected position does not change. A switch applies from the moment the command is
processed, whatever the event times of the bars around it: stopping is never delayed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from streams.strategy.base import RateLimit


@dataclass(slots=True)
class Switches:
    global_killed: bool = False
    killed_strategies: set[str] = field(default_factory=set)
    killed_accounts: set[str] = field(default_factory=set)
    disabled_strategies: set[str] = field(default_factory=set)

    def apply(self, command: str, scope: str, target: str | None) -> bool:
        """Apply one control command; ``False`` when it does not concern strategies."""
        if command in ("KILL", "RESUME"):
            on = command == "KILL"
            if scope == "GLOBAL":
                self.global_killed = on
                return True
            if target is None:
                return False
            chosen = self.killed_strategies if scope == "STRATEGY" else self.killed_accounts
            _toggle(chosen, target, on=on)
            return True
        if command in ("ENABLE_STRATEGY", "DISABLE_STRATEGY") and target is not None:
            _toggle(self.disabled_strategies, target, on=command == "DISABLE_STRATEGY")
            return True
        return False

    def blocked(self, strategy: str, account: str) -> str | None:
        """Why intents of ``strategy`` are suppressed (``killed``/``disabled``), or None."""
        if (
            self.global_killed
            or strategy in self.killed_strategies
            or account in self.killed_accounts
        ):
            return "killed"
        if strategy in self.disabled_strategies:
            return "disabled"
        return None

    def to_record(self) -> dict[str, Any]:
        return {
            "global_killed": self.global_killed,
            "killed_strategies": sorted(self.killed_strategies),
            "killed_accounts": sorted(self.killed_accounts),
            "disabled_strategies": sorted(self.disabled_strategies),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Switches:
        return cls(
            global_killed=bool(record["global_killed"]),
            killed_strategies=set(record["killed_strategies"]),
            killed_accounts=set(record["killed_accounts"]),
            disabled_strategies=set(record["disabled_strategies"]),
        )


def _toggle(names: set[str], name: str, *, on: bool) -> None:
    if on:
        names.add(name)
    else:
        names.discard(name)


class RateLimiter:
    """Sliding event-time window of emitted intents per strategy.

    An intent at time ``t`` is allowed when fewer than ``max_intents`` intents were emitted
    in ``(t - window_seconds, t]``; suppressed intents do not count.
    """

    def __init__(self) -> None:
        self._windows: dict[str, deque[datetime]] = {}

    def allow(self, strategy: str, limit: RateLimit, at: datetime) -> bool:
        window = self._windows.setdefault(strategy, deque())
        horizon = at - timedelta(seconds=limit.window_seconds)
        while window and window[0] <= horizon:
            window.popleft()
        if len(window) >= limit.max_intents:
            return False
        window.append(at)
        return True

    def to_record(self) -> dict[str, list[datetime]]:
        return {name: list(times) for name, times in sorted(self._windows.items()) if times}

    def load_record(self, record: Mapping[str, list[datetime]]) -> None:
        self._windows = {name: deque(times) for name, times in record.items()}
