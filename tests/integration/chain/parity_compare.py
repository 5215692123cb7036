"""Comparing live and in-process outputs by content, never by arrival order.

Everything an event carries is compared, its event id included, except
``envelope.ingest_time``: that is when the platform first saw the source event (the wall clock
of the feed live, a value of the input in process), so it legitimately differs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from streams.pnl.position import Position


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
    """The last pnl.update of each scope (in publication order), every field but the envelope.

    Intermediate updates legitimately differ in number and order (they follow the interleaving
    of fills and market data); the state they end in must not (docs/parity.md). The envelope is
    left out because the last update of a scope is caused by whichever input came last.
    """
    latest: dict[str, dict[str, Any]] = {}
    for update in updates:
        latest[_scope_key(update)] = update
    return {
        key: {f: v for f, v in update.items() if f != "envelope"} for key, update in latest.items()
    }


def highest_reachable_net(
    fills: Iterable[dict[str, Any]], prices: Mapping[str, Iterable[Decimal]]
) -> dict[str, Decimal]:
    """An upper bound of the net PnL any pnl.update could show, whatever the interleaving of
    market data with ``fills`` (in the order the PnL agent reads them), per instrument (its
    POSITION scope) and over all of them (key ``""``: the aggregates).

    After each prefix of the fills, a position's mark is some price of its instrument (any of
    ``prices``) or a fill price (marked before any market data), so its net PnL is at most
    realized - fees + the best unrealized over those candidates. The high-water mark is the
    running maximum of the published net PnL, so it depends on the interleaving in general
    (docs/pnl.md); when this bound is <= 0 it is 0 in every interleaving.
    """
    candidates = {instrument: set(values) for instrument, values in prices.items()}
    positions: dict[str, Position] = {}
    best: dict[str, Decimal] = {}
    for fill in fills:
        instrument = str(fill["instrument"])
        candidates.setdefault(instrument, set()).add(fill["fill_price"])
        position = positions.setdefault(instrument, Position("", "", instrument))
        position.apply_fill(
            str(fill["side"]), fill["fill_quantity"], fill["fill_price"], fill["fee"] or Decimal(0)
        )
        terms = {
            name: held.realized
            - held.fees
            + max(held.quantity * (mark - held.average_cost) for mark in candidates[name])
            for name, held in positions.items()
        }
        terms[""] = sum(terms.values(), Decimal(0))
        for name, term in terms.items():
            best[name] = max(best.get(name, term), term)
    return best


def _scope_key(update: dict[str, Any]) -> str:
    parts = (update["scope"], update["account"], update["strategy"], update["instrument"])
    return ":".join("" if part is None else str(part) for part in parts)


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
