"""The order lifecycle: statuses, which venue event moves an order where, and order ids.

::

    NEW ──ACK──▶ ACKNOWLEDGED ──PARTIAL_FILL──▶ PARTIALLY_FILLED ──FILL──▶ FILLED
     │                │                              │
     │                └──────────┬───────────────────┘
     │                           ▼
     └──────────▶ CANCELED / EXPIRED (any open state);  REJECTED (NEW or ACKNOWLEDGED)

A fill may arrive before the acknowledgement (venues do not always ack first), so NEW also
accepts PARTIAL_FILL and FILL. Terminal states accept nothing: a later event is an illegal
transition, which the order manager refuses and counts.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from streams.events import derive_event_id


class OrderStatus(StrEnum):
    """Where an order is in its life (the ``OrderStatus`` enum of order.event)."""

    NEW = "NEW"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    UNKNOWN = "UNKNOWN"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATUSES

    @property
    def open(self) -> bool:
        return self in OPEN_STATUSES


class EventKind(StrEnum):
    """The ``OrderEventKind`` enum of order.event."""

    ACK = "ACK"
    PARTIAL_FILL = "PARTIAL_FILL"
    FILL = "FILL"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    STATUS = "STATUS"
    POSITION = "POSITION"
    """The venue's net position of an account in one instrument (answer to POSITIONS)."""


class CommandKind(StrEnum):
    """The ``CommandKind`` enum of order.command."""

    NEW = "NEW"
    CANCEL = "CANCEL"
    QUERY = "QUERY"
    POSITIONS = "POSITIONS"
    """Ask the venue for an account's net positions (answered by POSITION events)."""


OPEN_STATUSES: Final = frozenset(
    {OrderStatus.NEW, OrderStatus.ACKNOWLEDGED, OrderStatus.PARTIALLY_FILLED}
)
TERMINAL_STATUSES: Final = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)
FILL_KINDS: Final = frozenset({EventKind.PARTIAL_FILL, EventKind.FILL})

_TRANSITIONS: Final[dict[tuple[OrderStatus, EventKind], OrderStatus]] = {
    (OrderStatus.NEW, EventKind.ACK): OrderStatus.ACKNOWLEDGED,
    (OrderStatus.NEW, EventKind.REJECTED): OrderStatus.REJECTED,
    (OrderStatus.ACKNOWLEDGED, EventKind.REJECTED): OrderStatus.REJECTED,
}
for _open in OPEN_STATUSES:
    _TRANSITIONS[(_open, EventKind.PARTIAL_FILL)] = OrderStatus.PARTIALLY_FILLED
    _TRANSITIONS[(_open, EventKind.FILL)] = OrderStatus.FILLED
    _TRANSITIONS[(_open, EventKind.CANCELED)] = OrderStatus.CANCELED
    _TRANSITIONS[(_open, EventKind.EXPIRED)] = OrderStatus.EXPIRED


def next_status(current: OrderStatus, kind: EventKind) -> OrderStatus | None:
    """The status ``kind`` moves an order in ``current`` to, or ``None`` if illegal.

    STATUS reports are not transitions (the order manager reconciles them separately).
    """
    return _TRANSITIONS.get((current, kind))


def client_order_id(decision_id: str) -> str:
    """The client order id of the order an approval creates: the same approval, the same id.

    The risk gate uses it too, to count its own approvals as open orders before the venue
    has acknowledged them.
    """
    return f"TW-{derive_event_id(decision_id, 'client_order_id')}"
