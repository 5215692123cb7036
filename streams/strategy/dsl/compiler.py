"""Type-check an expression tree and compile it into closures (never ``eval``).

Values are ``float`` (numbers), ``bool`` or ``None`` (unknown: an indicator still warming
up, no advice yet, a division by zero). Unknown propagates through arithmetic and
comparisons; ``and``/``or``/``not`` use three-valued (Kleene) logic; a rule whose
condition is unknown does not fire. Both sides of ``and``/``or`` are always evaluated, so
every crossover sees every bar and its memory of the previous bar stays exact.

Functions: ``crosses_above(a, b)`` is true when ``a`` was ``<= b`` on the previous
evaluated bar and is ``> b`` now (``crosses_below`` mirrors it); ``abs(x)``, ``min(a, b)``,
``max(a, b)``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from streams.strategy.dsl.names import FUNCTIONS, ValueType, Vocabulary
from streams.strategy.dsl.syntax import Binary, Boolean, Call, Name, Node, Number, Unary
from streams.strategy.errors import ExpressionError

Value = float | bool | None
Pair = tuple[float | None, float | None]


class Scope:
    """What compiled closures read: flat features and the crossover memories."""

    __slots__ = ("current", "features", "previous")

    def __init__(self, features: Mapping[str, Value], previous: list[Pair | None]) -> None:
        self.features = features
        self.previous = previous
        self.current: list[Pair | None] = [None] * len(previous)


Evaluator = Callable[[Scope], Value]


@dataclass(slots=True)
class CrossoverSlots:
    """Allocates one memory slot per crossover call across all rules of a strategy."""

    count: int = 0

    def allocate(self) -> int:
        self.count += 1
        return self.count - 1


@dataclass(frozen=True, slots=True)
class CompiledExpression:
    text: str
    value_type: ValueType
    evaluate: Evaluator
    aliases: frozenset[str]
    crossovers: tuple[int, ...] = field(default=())


_ARITHMETIC: Final[dict[str, Callable[[float, float], float]]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
}
_COMPARE: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


class _Compiler:
    def __init__(
        self, vocabulary: Vocabulary, slots: CrossoverSlots, allow_crossovers: bool
    ) -> None:
        self._vocabulary = vocabulary
        self._slots = slots
        self._allow_crossovers = allow_crossovers
        self.aliases: set[str] = set()
        self.crossovers: list[int] = []

    def compile(self, node: Node) -> tuple[Evaluator, ValueType]:
        if isinstance(node, Number):
            constant = node.value
            return (lambda _scope: constant), ValueType.NUMBER
        if isinstance(node, Boolean):
            flag = node.value
            return (lambda _scope: flag), ValueType.BOOLEAN
        if isinstance(node, Name):
            key, value_type, alias = self._vocabulary.resolve(node)
            if alias is not None:
                self.aliases.add(alias)
            return (lambda scope: scope.features.get(key)), value_type
        if isinstance(node, Unary):
            return self._unary(node)
        if isinstance(node, Binary):
            return self._binary(node)
        return self._call(node)

    def _expect(self, node: Node, wanted: ValueType, context: str) -> Evaluator:
        evaluator, actual = self.compile(node)
        if actual is not wanted:
            raise ExpressionError(
                f"{context} needs a {wanted.value}, got a {actual.value}", column=node.column
            )
        return evaluator

    def _unary(self, node: Unary) -> tuple[Evaluator, ValueType]:
        if node.operator == "-":
            inner = self._expect(node.operand, ValueType.NUMBER, "unary '-'")

            def negate(scope: Scope) -> Value:
                value = inner(scope)
                return None if value is None else -value

            return negate, ValueType.NUMBER
        operand = self._expect(node.operand, ValueType.BOOLEAN, "'not'")

        def invert(scope: Scope) -> Value:
            value = operand(scope)
            return None if value is None else not value

        return invert, ValueType.BOOLEAN

    def _binary(self, node: Binary) -> tuple[Evaluator, ValueType]:
        symbol = node.operator
        if symbol in ("and", "or"):
            left = self._expect(node.left, ValueType.BOOLEAN, f"'{symbol}'")
            right = self._expect(node.right, ValueType.BOOLEAN, f"'{symbol}'")
            return (_and(left, right) if symbol == "and" else _or(left, right)), ValueType.BOOLEAN
        if symbol in _COMPARE:
            return self._comparison(node), ValueType.BOOLEAN
        left = self._expect(node.left, ValueType.NUMBER, f"'{symbol}'")
        right = self._expect(node.right, ValueType.NUMBER, f"'{symbol}'")
        if symbol == "/":
            return _divide(left, right), ValueType.NUMBER
        return _arithmetic(_ARITHMETIC[symbol], left, right), ValueType.NUMBER

    def _comparison(self, node: Binary) -> Evaluator:
        left, left_type = self.compile(node.left)
        right, right_type = self.compile(node.right)
        if left_type is not right_type:
            raise ExpressionError(
                f"'{node.operator}' compares a {left_type.value} with a {right_type.value}",
                column=node.column,
                name=node.operator,
            )
        if left_type is ValueType.BOOLEAN and node.operator not in ("==", "!="):
            raise ExpressionError(
                f"'{node.operator}' needs numbers; booleans only support == and !=",
                column=node.column,
                name=node.operator,
            )
        compare = _COMPARE[node.operator]

        def evaluate(scope: Scope) -> Value:
            a = left(scope)
            b = right(scope)
            if a is None or b is None:
                return None
            return compare(a, b)

        return evaluate

    def _call(self, node: Call) -> tuple[Evaluator, ValueType]:
        arity = FUNCTIONS.get(node.function)
        if arity is None:
            raise ExpressionError(
                f"unknown function {node.function!r}; functions: {', '.join(FUNCTIONS)}",
                column=node.column,
                name=node.function,
            )
        if len(node.arguments) != arity:
            raise ExpressionError(
                f"{node.function}() takes {arity} argument{'s' if arity > 1 else ''}, "
                f"got {len(node.arguments)}",
                column=node.column,
                name=node.function,
            )
        arguments = [
            self._expect(arg, ValueType.NUMBER, f"argument {i + 1} of {node.function}()")
            for i, arg in enumerate(node.arguments)
        ]
        if node.function in ("crosses_above", "crosses_below"):
            if not self._allow_crossovers:
                raise ExpressionError(
                    f"{node.function}() is only allowed in a rule's 'when' condition",
                    column=node.column,
                    name=node.function,
                )
            slot = self._slots.allocate()
            self.crossovers.append(slot)
            above = node.function == "crosses_above"
            return _crossover(arguments[0], arguments[1], slot, above), ValueType.BOOLEAN
        if node.function == "abs":
            inner = arguments[0]

            def absolute(scope: Scope) -> Value:
                value = inner(scope)
                return None if value is None else abs(value)

            return absolute, ValueType.NUMBER
        pick: Callable[[float, float], float] = min if node.function == "min" else max
        return _arithmetic(pick, arguments[0], arguments[1]), ValueType.NUMBER


def _and(left: Evaluator, right: Evaluator) -> Evaluator:
    def evaluate(scope: Scope) -> Value:
        a = left(scope)
        b = right(scope)
        if a is False or b is False:
            return False
        if a is None or b is None:
            return None
        return True

    return evaluate


def _or(left: Evaluator, right: Evaluator) -> Evaluator:
    def evaluate(scope: Scope) -> Value:
        a = left(scope)
        b = right(scope)
        if a is True or b is True:
            return True
        if a is None or b is None:
            return None
        return False

    return evaluate


def _arithmetic(
    function: Callable[[float, float], float], left: Evaluator, right: Evaluator
) -> Evaluator:
    def evaluate(scope: Scope) -> Value:
        a = left(scope)
        b = right(scope)
        if a is None or b is None:
            return None
        result = function(a, b)
        return result if math.isfinite(result) else None

    return evaluate


def _divide(left: Evaluator, right: Evaluator) -> Evaluator:
    def evaluate(scope: Scope) -> Value:
        a = left(scope)
        b = right(scope)
        if a is None or b is None or b == 0:
            return None
        result = a / b
        return result if math.isfinite(result) else None

    return evaluate


def _crossover(left: Evaluator, right: Evaluator, slot: int, above: bool) -> Evaluator:
    def evaluate(scope: Scope) -> Value:
        a = left(scope)
        b = right(scope)
        scope.current[slot] = (_number(a), _number(b))
        previous = scope.previous[slot]
        if a is None or b is None or previous is None:
            return None
        before_a, before_b = previous
        if before_a is None or before_b is None:
            return None
        if above:
            return before_a <= before_b and a > b
        return before_a >= before_b and a < b

    return evaluate


def _number(value: Value) -> float | None:
    return None if value is None else float(value)


def compile_expression(
    node: Node,
    text: str,
    vocabulary: Vocabulary,
    *,
    expected: ValueType,
    slots: CrossoverSlots,
    allow_crossovers: bool,
) -> CompiledExpression:
    """Resolve names, check types and build the evaluator of ``node``."""
    compiler = _Compiler(vocabulary, slots, allow_crossovers)
    evaluator, value_type = compiler.compile(node)
    if value_type is not expected:
        raise ExpressionError(
            f"the expression must give a {expected.value}, it gives a {value_type.value}",
            column=node.column,
        )
    return CompiledExpression(
        text=text,
        value_type=value_type,
        evaluate=evaluator,
        aliases=frozenset(compiler.aliases),
        crossovers=tuple(compiler.crossovers),
    )
