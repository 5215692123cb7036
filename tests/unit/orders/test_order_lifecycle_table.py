"""Every (status, event) pair of the order lifecycle against the documented table."""

from __future__ import annotations

import pytest
from streams.orders.lifecycle import EventKind, OrderStatus, client_order_id, next_status

S, K = OrderStatus, EventKind
OPEN = (S.NEW, S.ACKNOWLEDGED, S.PARTIALLY_FILLED)
LEGAL: dict[tuple[OrderStatus, EventKind], OrderStatus] = {
    (S.NEW, K.ACK): S.ACKNOWLEDGED,
    (S.NEW, K.REJECTED): S.REJECTED,
    (S.ACKNOWLEDGED, K.REJECTED): S.REJECTED,
    **{(s, K.PARTIAL_FILL): S.PARTIALLY_FILLED for s in OPEN},
    **{(s, K.FILL): S.FILLED for s in OPEN},
    **{(s, K.CANCELED): S.CANCELED for s in OPEN},
    **{(s, K.EXPIRED): S.EXPIRED for s in OPEN},
}
STATUSES = [s for s in OrderStatus if s is not S.UNKNOWN]


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("kind", list(EventKind))
def test_transition(status: OrderStatus, kind: EventKind) -> None:
    assert next_status(status, kind) == LEGAL.get((status, kind))


def test_terminal_and_open_statuses_partition_the_lifecycle() -> None:
    assert {s for s in STATUSES if s.open} == set(OPEN)
    assert {s for s in STATUSES if s.terminal} == {S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED}


def test_client_order_ids_are_derived_from_the_decision() -> None:
    assert client_order_id("d-1") == client_order_id("d-1")
    assert client_order_id("d-1") != client_order_id("d-2")
    assert client_order_id("d-1").startswith("TW-")
