"""Comparing live and in-process outputs by content, never by arrival order.

Everything an event carries is compared, its event id included, except
``envelope.ingest_time``: that is when the platform first saw the source event (the wall clock
of the feed live, a value of the input in process), so it legitimately differs.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from streams.decimals import q

BOOKED_FIELDS: Final = ("quantity", "average_cost", "realized_pnl", "fees")
"""Final pnl.update fields that depend only on the fills, never on when marks arrived."""


def comparable(value: dict[str, Any]) -> dict[str, Any]:
    """The value without ``envelope.ingest_time``."""
    envelope = {k: v for k, v in value["envelope"].items() if k != "ingest_time"}
    return {**value, "envelope": envelope}


def by_event_id(values: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Comparable values keyed by event id; a duplicated id with another payload fails."""
    out: dict[str, dict[str, Any]] = {}
    for value in values:
        event_id = str(value["envelope"]["event_id"])
        content = comparable(value)
        if out.setdefault(event_id, content) != content:
            raise AssertionError(f"event {event_id} published with two payloads")
    return out


def final_pnl(updates: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What the fills booked, per scope key, from the last pnl.update of each scope.

    Only :data:`BOOKED_FIELDS` are kept (those a scope publishes): the mark, and with it the
    unrealized and net PnL, exposures and drawdown, depends on whether a position existed when
    a price arrived (docs/parity.md); :func:`net_at` recomputes net PnL at common marks.
    """
    latest: dict[str, dict[str, Any]] = {}
    for update in updates:
        latest[_scope_key(update)] = update
    return {
        key: {f: update[f] for f in BOOKED_FIELDS if update.get(f) is not None}
        for key, update in latest.items()
    }


def net_at(booked: dict[str, dict[str, Any]], marks: dict[str, Decimal]) -> Decimal:
    """Net PnL of every POSITION scope at ``marks`` (instrument -> price): realized +
    quantity x (mark - average cost) - fees."""
    total = Decimal(0)
    for key, figures in booked.items():
        scope, _, _, instrument = key.split(":", 3)
        if scope != "POSITION":
            continue
        unrealized = figures["quantity"] * (marks[instrument] - figures["average_cost"])
        total += figures["realized_pnl"] + unrealized - figures["fees"]
    return q(total)


def _scope_key(update: dict[str, Any]) -> str:
    parts = (update["scope"], update["account"], update["strategy"], update["instrument"])
    return ":".join("" if part is None else str(part) for part in parts)


def without_reference_price(decisions: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Decisions without ``reference_price``: the last price the gate had seen when it decided,
    which depends on how far its broadcast read of market data had got (docs/parity.md)."""
    return {
        event_id: {k: v for k, v in decision.items() if k != "reference_price"}
        for event_id, decision in decisions.items()
    }


def differences(live: dict[str, dict[str, Any]], expected: dict[str, dict[str, Any]]) -> str:
    """A readable account of what differs between two keyed collections (assert messages)."""
    lines = [f"missing live: {key}" for key in sorted(expected.keys() - live.keys())]
    lines += [f"extra live: {key}" for key in sorted(live.keys() - expected.keys())]
    for key in sorted(live.keys() & expected.keys()):
        ours, theirs = live[key], expected[key]
        for field in sorted(ours.keys() | theirs.keys()):
            if ours.get(field) != theirs.get(field):
                lines.append(
                    f"{key}.{field}: live {ours.get(field)!r}, in process {theirs.get(field)!r}"
                )
    return "\n".join(lines[:40])
