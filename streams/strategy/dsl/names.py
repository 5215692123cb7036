"""The names a rule expression may use, and how they resolve to feature keys.

Fixed names: the bar's prices, the strategy's position, ML advice fields and the
functions; plus the strategy's indicator aliases. A name resolves to the key of a flat
feature mapping that the strategy fills per bar (``close``, ``fast.sma``, ``advice.score``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from streams.strategy.dsl.syntax import Name
from streams.strategy.errors import ExpressionError


class ValueType(StrEnum):
    NUMBER = "number"
    BOOLEAN = "boolean"


PRICE_NAMES: Final = ("open", "high", "low", "close", "volume")
POSITION_NUMBER: Final = "position"
POSITION_FLAGS: Final = ("is_long", "is_short", "is_flat")
ADVICE: Final = "advice"
ADVICE_FIELDS: Final = ("score", "confidence", "direction")
FUNCTIONS: Final = {"crosses_above": 2, "crosses_below": 2, "abs": 1, "min": 2, "max": 2}
RESERVED: Final = frozenset(
    {*PRICE_NAMES, POSITION_NUMBER, *POSITION_FLAGS, ADVICE, *FUNCTIONS, "and", "or", "not"}
    | {"true", "false"}
)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The names an expression may use: fixed names plus the strategy's indicator aliases.

    ``indicators`` maps an alias to its output names; a single-output indicator can be
    named by its alias alone (``fast``), any output by ``alias.output`` (``macd.signal``).
    """

    indicators: Mapping[str, tuple[str, ...]]

    def resolve(self, name: Name) -> tuple[str, ValueType, str | None]:
        """Feature key, type and indicator alias (if any) of ``name``."""
        head, rest = name.parts[0], name.parts[1:]
        if head in PRICE_NAMES or head == POSITION_NUMBER:
            self._no_member(name, rest)
            return head, ValueType.NUMBER, None
        if head in POSITION_FLAGS:
            self._no_member(name, rest)
            return head, ValueType.BOOLEAN, None
        if head == ADVICE:
            return self._advice(name, rest), ValueType.NUMBER, None
        outputs = self.indicators.get(head)
        if outputs is None:
            if head in FUNCTIONS:
                raise ExpressionError(
                    f"{head} is a function: call it as {head}(...)", column=name.column, name=head
                )
            raise ExpressionError(
                f"unknown name {head!r}; known: {', '.join(self._known())}",
                column=name.column,
                name=head,
            )
        if not rest:
            if len(outputs) != 1:
                raise ExpressionError(
                    f"{head} has several outputs ({', '.join(outputs)}); write {head}.<output>",
                    column=name.column,
                    name=head,
                )
            return f"{head}.{outputs[0]}", ValueType.NUMBER, head
        if len(rest) != 1 or rest[0] not in outputs:
            raise ExpressionError(
                f"{head} has no output {'.'.join(rest)!r}; outputs: {', '.join(outputs)}",
                column=name.column,
                name=name.text,
            )
        return f"{head}.{rest[0]}", ValueType.NUMBER, head

    def _advice(self, name: Name, rest: tuple[str, ...]) -> str:
        if len(rest) == 1 and rest[0] in ADVICE_FIELDS:
            return name.text
        if len(rest) == 2 and rest[0] == "features":
            return name.text
        raise ExpressionError(
            f"unknown advice field {name.text!r}; use advice.score, advice.confidence, "
            "advice.direction (+1 up, -1 down, 0 flat) or advice.features.<name>",
            column=name.column,
            name=name.text,
        )

    @staticmethod
    def _no_member(name: Name, rest: tuple[str, ...]) -> None:
        if rest:
            raise ExpressionError(
                f"{name.parts[0]} has no member {'.'.join(rest)!r}",
                column=name.column,
                name=name.text,
            )

    def _known(self) -> list[str]:
        return [*sorted(self.indicators), *PRICE_NAMES, POSITION_NUMBER, *POSITION_FLAGS, ADVICE]
