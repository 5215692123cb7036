"""Position arithmetic: weighted average cost, realized and unrealized PnL, exposure.

Fills on the side of the position (or from flat) re-weight the average cost::

    average = (|position| x average + fill quantity x fill price) / |new position|

Fills against the position realize PnL on the closed quantity::

    realized += closed x (fill price - average) x sign(position)

and keep the average; a fill that flips the position opens the remainder at the fill price
(the average resets), and a position closed to exactly zero has an average of zero.
Unrealized PnL is ``position x (mark - average)``; net PnL is realized + unrealized - fees.
Gross exposure is ``|position| x mark``, net exposure ``position x mark``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from streams.decimals import q

NIL: Final = q(0)


def _sign(value: Decimal) -> int:
    return (value > 0) - (value < 0)


@dataclass(slots=True)
class Position:
    """One account/strategy/instrument position."""

    account: str
    strategy: str
    instrument: str
    quantity: Decimal = NIL
    average_cost: Decimal = NIL
    realized: Decimal = NIL
    fees: Decimal = NIL
    mark: Decimal | None = None

    @property
    def key(self) -> str:
        return f"{self.account}:{self.strategy}:{self.instrument}"

    def apply_fill(self, side: str, quantity: Decimal, price: Decimal, fee: Decimal) -> None:
        """Book one fill (``quantity`` > 0, ``side`` BUY or SELL)."""
        signed = quantity if side == "BUY" else -quantity
        current = self.quantity
        if current == 0 or _sign(current) == _sign(signed):
            new = current + signed
            self.average_cost = q((abs(current) * self.average_cost + quantity * price) / abs(new))
        else:
            closed = min(quantity, abs(current))
            self.realized = q(self.realized + closed * (price - self.average_cost) * _sign(current))
            new = current + signed
            if new == 0:
                self.average_cost = NIL
            elif _sign(new) != _sign(current):
                self.average_cost = q(price)
        self.quantity = q(new)
        self.fees = q(self.fees + fee)
        if self.mark is None:
            self.mark = q(price)

    @property
    def unrealized(self) -> Decimal:
        if self.mark is None or self.quantity == 0:
            return NIL
        return q(self.quantity * (self.mark - self.average_cost))

    @property
    def net(self) -> Decimal:
        return q(self.realized + self.unrealized - self.fees)

    @property
    def gross_exposure(self) -> Decimal:
        return NIL if self.mark is None else q(abs(self.quantity) * self.mark)

    @property
    def net_exposure(self) -> Decimal:
        return NIL if self.mark is None else q(self.quantity * self.mark)

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "strategy": self.strategy,
            "instrument": self.instrument,
            "quantity": str(self.quantity),
            "average_cost": str(self.average_cost),
            "realized": str(self.realized),
            "fees": str(self.fees),
            "mark": None if self.mark is None else str(self.mark),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Position:
        return cls(
            account=data["account"],
            strategy=data["strategy"],
            instrument=data["instrument"],
            quantity=q(data["quantity"]),
            average_cost=q(data["average_cost"]),
            realized=q(data["realized"]),
            fees=q(data["fees"]),
            mark=None if data["mark"] is None else q(data["mark"]),
        )


@dataclass(frozen=True, slots=True)
class Figures:
    """PnL and exposure of a position or a sum of positions."""

    realized: Decimal
    unrealized: Decimal
    fees: Decimal
    gross_exposure: Decimal
    net_exposure: Decimal

    @property
    def net(self) -> Decimal:
        return q(self.realized + self.unrealized - self.fees)

    @classmethod
    def of(cls, positions: list[Position]) -> Figures:
        return cls(
            realized=q(sum((p.realized for p in positions), NIL)),
            unrealized=q(sum((p.unrealized for p in positions), NIL)),
            fees=q(sum((p.fees for p in positions), NIL)),
            gross_exposure=q(sum((p.gross_exposure for p in positions), NIL)),
            net_exposure=q(sum((p.net_exposure for p in positions), NIL)),
        )
