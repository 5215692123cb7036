"""Per-scope daily PnL, high-water mark and drawdown, and "did anything change" memory.

The trading day is the UTC calendar date of the event that caused the update. A scope's
daily PnL is its net PnL minus its net PnL at the end of the previous trading day it was
updated in (zero for a scope first seen today). The high-water mark is the highest net PnL
the scope has reached (starting at zero: PnL, not equity); drawdown = high-water mark - net.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from streams.decimals import q
from streams.pnl.position import NIL


@dataclass(slots=True)
class ScopeTrack:
    """Day baseline, high-water mark and the last emitted figures of one scope."""

    day: date
    day_start: Decimal = NIL
    last_net: Decimal = NIL
    high_water_mark: Decimal = NIL
    last_emitted: str | None = None

    @classmethod
    def new(cls, at: datetime) -> ScopeTrack:
        return cls(day=trading_day(at))

    def update(self, net: Decimal, at: datetime) -> tuple[date, Decimal, Decimal, Decimal]:
        """Record ``net`` at ``at``; returns (trading day, daily PnL, high-water mark, drawdown)."""
        day = trading_day(at)
        if day != self.day:
            self.day = day
            self.day_start = self.last_net
        self.last_net = net
        self.high_water_mark = max(self.high_water_mark, net)
        return day, q(net - self.day_start), self.high_water_mark, q(self.high_water_mark - net)

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "day_start": str(self.day_start),
            "last_net": str(self.last_net),
            "high_water_mark": str(self.high_water_mark),
            "last_emitted": self.last_emitted,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScopeTrack:
        return cls(
            day=date.fromisoformat(data["day"]),
            day_start=q(data["day_start"]),
            last_net=q(data["last_net"]),
            high_water_mark=q(data["high_water_mark"]),
            last_emitted=data["last_emitted"],
        )


def trading_day(at: datetime) -> date:
    """The UTC trading day of an event time."""
    return at.astimezone(UTC).date()


def fingerprint(value: dict[str, Any]) -> str:
    """A stable text of an update's content without its envelope (to skip identical ones)."""
    content = {k: v for k, v in value.items() if k != "envelope"}
    return json.dumps(content, default=str, sort_keys=True)
