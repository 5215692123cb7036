"""The order manager: approvals become orders, venue events move them through their life.

* Consumes **only** ``risk.approved``: anything but an APPROVED decision is refused with a
  :class:`ProcessingError` (the host dead-letters it). The client order id derives from the
  decision id, so a re-processed approval never creates a second order.
* ``order.event`` drives the lifecycle (:mod:`streams.orders.lifecycle`); illegal transitions
  are refused and counted, fills are deduplicated by venue trade id, overfills are flagged.
* ``system.control`` KILL cancels the scope's open orders and refuses its new approvals until
  RESUME; CLEAR_HALT GLOBAL lifts a reconciliation refusal (the operator's override).
* :meth:`on_timer` queries orders not acknowledged within ``ack_timeout_seconds`` and drives
  reconciliation after :meth:`restore` (:mod:`streams.orders.reconciliation`): open orders
  (QUERY -> STATUS) and net positions per account (POSITIONS -> POSITION, compared with the
  ledger of booked fills, :mod:`streams.orders.positions`).
* Replay mode: commands to venues that are not simulated are suppressed and counted.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Final

from streams.decimals import q
from streams.errors import ProcessingError, ReconciliationError
from streams.events import caused_by
from streams.orders.lifecycle import (
    FILL_KINDS,
    CommandKind,
    EventKind,
    OrderStatus,
    client_order_id,
    next_status,
)
from streams.orders.managed_order import ManagedOrder
from streams.orders.positions import (
    ALL,
    PositionLedger,
    compare_positions,
    positions_command,
    positions_request_id,
)
from streams.orders.reconciliation import (
    PositionMismatch,
    Reconciliation,
    TradingMode,
    compare,
)
from streams.risk.controls import scope_key
from streams.runtime.processor import Output, Processor, Record

APPROVED_TOPIC: Final = "risk.approved"
EVENT_TOPIC: Final = "order.event"
CONTROL_TOPIC: Final = "system.control"
COMMAND_TOPIC: Final = "order.command"
MAX_TERMINAL_ORDERS: Final = 10_000

ORDER_MANAGER_STATE_SCHEMA: Final[dict[str, Any]] = {
    "type": "record",
    "name": "OrderManagerState",
    "namespace": "tapewire.orders.state",
    "fields": [
        {"name": "orders", "type": "string", "doc": "JSON list of orders, oldest first"},
        {"name": "kills", "type": {"type": "array", "items": "string"}},
        {"name": "reconciliation", "type": "string", "doc": "JSON reconciliation progress"},
        {"name": "counters", "type": {"type": "map", "values": "long"}},
        {
            "name": "positions",
            "type": "string",
            "default": "",
            "doc": "JSON [[account, venue, instrument, net], ...] of booked fills; empty in "
            "snapshots from before it was kept (rebuilt from the orders)",
        },
    ],
}


@dataclass(frozen=True, slots=True)
class OrderManagerConfig:
    """Routing, timeouts and replay mode."""

    default_venue: str = "SIM"
    venues: dict[str, str] = field(default_factory=dict)
    """Instrument -> venue; instruments not listed go to ``default_venue``."""
    simulated_venues: frozenset[str] = frozenset({"SIM", "PAPER"})
    replay_mode: bool = False
    ack_timeout_seconds: float = 5.0
    reconcile_timeout_seconds: float = 10.0


class OrderManager(Processor):
    """Lifecycle of every order, from an approval to a terminal venue event."""

    name: ClassVar[str] = "order_manager"
    inputs: ClassVar[tuple[str, ...]] = (APPROVED_TOPIC, EVENT_TOPIC, CONTROL_TOPIC)
    outputs: ClassVar[tuple[str, ...]] = (COMMAND_TOPIC,)
    broadcast: ClassVar[tuple[str, ...]] = (CONTROL_TOPIC,)
    state_schema: ClassVar[dict[str, Any] | None] = ORDER_MANAGER_STATE_SCHEMA

    def __init__(self, config: OrderManagerConfig | None = None) -> None:
        self.config = config or OrderManagerConfig()
        self.orders: dict[str, ManagedOrder] = {}
        self.kills: set[str] = set()
        self.reconciliation = Reconciliation()
        self.ledger = PositionLedger()
        """Net position per (account, venue, instrument) of every fill booked."""
        self.counters: Counter[str] = Counter()
        self._recovered = False
        """Set by :meth:`restore` (not part of the state): reconcile before trading."""

    # -- public views ----------------------------------------------------------------------

    @property
    def mode(self) -> TradingMode:
        return self.reconciliation.mode

    def refusal(self) -> ReconciliationError | None:
        """Why the manager refuses new orders (for the agent's log and /readyz), or None."""
        return self.reconciliation.error()

    def open_orders(self) -> list[ManagedOrder]:
        return [o for o in self.orders.values() if o.status.open]

    # -- dispatch --------------------------------------------------------------------------

    def process(self, record: Record) -> list[Output]:
        self._begin_if_recovered()
        if record.topic == APPROVED_TOPIC:
            return self._on_approval(record.value)
        if record.topic == EVENT_TOPIC:
            return self._on_event(record.value)
        if record.topic == CONTROL_TOPIC:
            return self._on_control(record.value)
        raise ProcessingError(f"order_manager does not consume topic {record.topic!r}")

    def on_timer(self, now: datetime) -> list[Output]:
        self._begin_if_recovered()
        outputs: list[Output] = []
        recon = self.reconciliation
        if recon.pending_start:
            queried = {o.client_order_id for o in self.open_orders() if not o.held}
            for order in self.open_orders():
                if not order.held:
                    outputs.extend(self._query(order, now))
            requests = self._request_positions(now, outputs)
            recon.start(now, self.config.reconcile_timeout_seconds, queried, requests)
        elif recon.mode is TradingMode.ACTIVE:
            timeout = timedelta(seconds=self.config.ack_timeout_seconds)
            for order in self.open_orders():
                if order.status is not OrderStatus.NEW or order.held:
                    continue
                if order.last_sent_at is None:
                    # the wait is measured on the timer's clock, from the first timer that
                    # sees the order: replayed approvals with old event times are not "late"
                    order.last_sent_at = now
                elif now - order.last_sent_at >= timeout:
                    outputs.extend(self._query(order, now))
        outputs.extend(self._settle(now))
        return outputs

    # -- approvals -------------------------------------------------------------------------

    def _on_approval(self, decision: dict[str, Any]) -> list[Output]:
        if decision.get("outcome") != "APPROVED":
            raise ProcessingError(
                f"order_manager consumes approvals only; decision "
                f"{decision['envelope']['event_id']} is {decision.get('outcome')}"
            )
        env = decision["envelope"]
        coid = client_order_id(str(env["event_id"]))
        if coid in self.orders:
            self.counters["duplicate_approvals"] += 1
            return []
        instrument = str(decision["instrument"])
        limit = decision.get("limit_price")
        order = ManagedOrder(
            client_order_id=coid,
            decision_id=str(env["event_id"]),
            correlation_id=env.get("correlation_id"),
            decided_at=env["event_time"],
            ingested_at=env["ingest_time"],
            account=str(decision["account"]),
            strategy=str(decision["strategy"]),
            instrument=instrument,
            venue=self.config.venues.get(instrument, self.config.default_venue),
            side=str(decision["side"]),
            quantity=q(decision["quantity"]),
            order_type=str(decision["order_type"]),
            limit_price=None if limit is None else q(limit),
            time_in_force=str(decision["time_in_force"]),
        )
        self.orders[coid] = order
        if any(order.in_scope(k) for k in self.kills):
            return self._refuse(order, "killed_approvals")
        if self.mode is TradingMode.REFUSING:
            return self._refuse(order, "refused_approvals")
        if self.mode is TradingMode.RECONCILING:
            order.held = True
            self.counters["held_approvals"] += 1
            return []
        return self._submit(order)

    def _refuse(self, order: ManagedOrder, counter: str) -> list[Output]:
        order.status = OrderStatus.REJECTED
        self.counters[counter] += 1
        self._prune()
        return []

    def _submit(self, order: ManagedOrder) -> list[Output]:
        order.held = False
        order.last_sent_at = None
        return self._command(order, CommandKind.NEW, discriminator=f"NEW:{order.queries}")

    def _query(self, order: ManagedOrder, now: datetime) -> list[Output]:
        order.queries += 1
        order.last_sent_at = now
        self.counters["queries_sent"] += 1
        return self._command(
            order, CommandKind.QUERY, discriminator=f"QUERY:{order.queries}", at=now
        )

    def _request_positions(
        self, now: datetime, outputs: list[Output]
    ) -> dict[str, tuple[str, str]]:
        """POSITIONS for every (account, venue) we booked fills at or hold open orders at."""
        known = self.ledger.accounts() | {
            (o.account, o.venue) for o in self.open_orders() if not o.held
        }
        requests: dict[str, tuple[str, str]] = {}
        for account, venue in sorted(known):
            if self.config.replay_mode and venue not in self.config.simulated_venues:
                self.counters["suppressed_commands"] += 1
                continue
            rid = positions_request_id(account, venue, self.counters["reconciliations"])
            requests[rid] = (account, venue)
            value = positions_command(account, venue, rid, now, self.name)
            self.counters["commands_positions"] += 1
            outputs.append(Output(COMMAND_TOPIC, account, value))
        return requests

    def _command(
        self,
        order: ManagedOrder,
        kind: CommandKind,
        *,
        discriminator: str,
        at: datetime | None = None,
    ) -> list[Output]:
        if self.config.replay_mode and order.venue not in self.config.simulated_venues:
            self.counters["suppressed_commands"] += 1
            return []
        env = caused_by(
            order.cause(),
            event_type=COMMAND_TOPIC,
            agent=self.name,
            discriminator=discriminator,
            event_time=at,
        )
        value = {
            "envelope": env,
            "command": kind.value,
            "client_order_id": order.client_order_id,
            "decision_id": order.decision_id,
            "account": order.account,
            "strategy": order.strategy,
            "instrument": order.instrument,
            "venue": order.venue,
            "side": order.side,
            "quantity": order.quantity,
            "order_type": order.order_type,
            "limit_price": order.limit_price,
            "time_in_force": order.time_in_force,
        }
        self.counters[f"commands_{kind.value.lower()}"] += 1
        return [Output(COMMAND_TOPIC, order.account, value)]

    # -- venue events ----------------------------------------------------------------------

    def _on_event(self, event: dict[str, Any]) -> list[Output]:
        kind = EventKind(event["kind"])
        if kind is EventKind.POSITION:
            return self._on_position(event)
        order = self.orders.get(str(event["client_order_id"]))
        if order is None:
            self.counters["unknown_order_events"] += 1
            return []
        order.held = False  # the venue has it: a held copy must not be sent again
        if kind is EventKind.STATUS:
            return self._on_status(order, event)
        if kind in FILL_KINDS:
            trade_id = event.get("trade_id")
            if trade_id is not None and trade_id in order.trade_ids:
                self.counters["duplicate_fills"] += 1
                return []
        target = next_status(order.status, kind)
        if target is None:
            self.counters["illegal_transitions"] += 1
            return []
        if kind in FILL_KINDS:
            if event.get("trade_id") is not None:
                order.trade_ids.append(str(event["trade_id"]))
            fill = q(event["fill_quantity"] or 0)
            order.filled = q(order.filled + fill)
            self._book(order, fill)
            if order.filled > order.quantity:
                order.overfilled = True
                self.counters["overfills"] += 1
        order.status = target
        if target.terminal:
            self._prune()
        return []

    def _on_status(self, order: ManagedOrder, report: dict[str, Any]) -> list[Output]:
        at: datetime = report["envelope"]["event_time"]
        result = compare(order, report)
        outputs: list[Output] = []
        if result.missed_fill > 0:
            order.filled = q(order.filled + result.missed_fill)
            self._book(order, result.missed_fill)
            self.counters["reconciled_fills"] += 1
        if result.new_status is not None:
            order.status = result.new_status
            if result.new_status.terminal:
                self.counters["reconciled_closes"] += 1
        if result.resubmit:
            self.counters["resubmitted_orders"] += 1
            outputs.extend(self._submit(order))
        self.reconciliation.answered(order.client_order_id, result.mismatch, at)
        self._compare_positions()
        outputs.extend(self._settle(at))
        return outputs

    def _book(self, order: ManagedOrder, quantity: Any) -> None:
        self.ledger.book(order.account, order.venue, order.instrument, order.side, quantity)

    def _on_position(self, event: dict[str, Any]) -> list[Output]:
        """One line of a venue's position report (the ``*`` line ends it)."""
        request = self.reconciliation.position_requests.get(str(event["client_order_id"]))
        if request is None or request.complete:
            self.counters["unsolicited_position_reports"] += 1
            return []
        instrument = str(event["instrument"])
        if instrument == ALL:
            request.complete = True
        else:
            request.positions[instrument] = q(event.get("position_quantity") or 0)
        self._compare_positions()
        return self._settle(event["envelope"]["event_time"])

    def _compare_positions(self) -> None:
        """Compare the venue's reports with the ledger once all are in and orders answered."""
        reports = self.reconciliation.reports_to_compare()
        if not reports:
            return
        mismatches: list[PositionMismatch] = []
        for report in reports:
            ours = self.ledger.of(report.account, report.venue)
            found = compare_positions(report.account, report.venue, ours, report.positions)
            for instrument, (theirs, message) in found.items():
                mismatches.append(
                    PositionMismatch(report.account, report.venue, instrument, theirs, message)
                )
        self.counters["reconciled_positions"] += len(reports)
        self.counters["position_mismatches"] += len(mismatches)
        self.reconciliation.positions_compared(mismatches)

    def _settle(self, now: datetime) -> list[Output]:
        started = self.reconciliation.settle(now, self.config.reconcile_timeout_seconds)
        if not started:
            return []
        outputs: list[Output] = []
        for order in self.open_orders():
            if order.held:
                outputs.extend(self._submit(order))
        return outputs

    # -- operator controls -----------------------------------------------------------------

    def _on_control(self, control: dict[str, Any]) -> list[Output]:
        command = str(control["command"])
        key = scope_key(str(control["scope"]), control.get("target"))
        if command == "KILL":
            self.kills.add(key)
            return self._cancel_scope(key, control["envelope"]["event_time"])
        if command == "RESUME":
            self.kills.discard(key)
        elif command == "CLEAR_HALT" and key == "GLOBAL" and self.mode is TradingMode.REFUSING:
            self.counters["operator_overrides"] += 1
            for m in self.reconciliation.position_mismatches:  # accept the venue's positions
                self.ledger.adopt(m.account, m.venue, m.instrument, m.venue_position)
            self.reconciliation.override()
            return self._settle(control["envelope"]["event_time"])
        return []

    def _cancel_scope(self, key: str, at: datetime) -> list[Output]:
        outputs: list[Output] = []
        for order in self.open_orders():
            if not order.in_scope(key) or order.cancel_requested:
                continue
            if order.held:
                self._refuse(order, "killed_approvals")
                continue
            order.cancel_requested = True
            outputs.extend(self._command(order, CommandKind.CANCEL, discriminator="CANCEL", at=at))
        return outputs

    # -- state -----------------------------------------------------------------------------

    def _prune(self) -> None:
        terminal = [c for c, o in self.orders.items() if o.status.terminal]
        for coid in terminal[: max(len(terminal) - MAX_TERMINAL_ORDERS, 0)]:
            del self.orders[coid]

    def snapshot(self) -> dict[str, Any]:
        return {
            "orders": json.dumps([o.to_json() for o in self.orders.values()]),
            "kills": sorted(self.kills),
            "reconciliation": self.reconciliation.to_json(),
            "counters": dict(sorted(self.counters.items())),
            "positions": self.ledger.to_json(),
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Rebuild from a snapshot; open orders are reconciled with the venue before trading."""
        orders = [ManagedOrder.from_json(d) for d in json.loads(state["orders"])]
        self.orders = {o.client_order_id: o for o in orders}
        self.kills = set(state["kills"])
        self.reconciliation = Reconciliation.from_json(state["reconciliation"])
        self.counters = Counter({k: int(v) for k, v in state["counters"].items()})
        kept = state.get("positions") or ""
        self.ledger = PositionLedger.from_json(kept) if kept else PositionLedger()
        if not kept:  # an older snapshot: rebuild from the orders it kept
            for order in orders:
                self._book(order, order.filled)
        self._recovered = True

    def _begin_if_recovered(self) -> None:
        """After a restore, reconcile the open orders before any new order goes out."""
        if not self._recovered:
            return
        self._recovered = False
        known = self.open_orders() or self.ledger.accounts()
        if self.reconciliation.mode is not TradingMode.REFUSING and known:
            self.reconciliation.begin()
            self.counters["reconciliations"] += 1
