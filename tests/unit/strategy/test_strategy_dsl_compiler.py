"""Name resolution, type checking and evaluation of compiled rule expressions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
from streams.strategy.dsl import (
    CompiledExpression,
    CrossoverSlots,
    Scope,
    ValueType,
    Vocabulary,
    compile_expression,
    parse_expression,
)
from streams.strategy.dsl.compiler import Pair, Value
from streams.strategy.errors import ExpressionError

VOCABULARY = Vocabulary(
    {
        "fast": ("sma",),
        "slow": ("sma",),
        "macd": ("macd", "signal", "hist"),
        "bb": ("upper", "middle", "lower"),
    }
)


def compiled(
    text: str, expected: ValueType = ValueType.BOOLEAN, *, crossovers: bool = True
) -> CompiledExpression:
    return compile_expression(
        parse_expression(text),
        text,
        VOCABULARY,
        expected=expected,
        slots=CrossoverSlots(),
        allow_crossovers=crossovers,
    )


def evaluate(text: str, features: Mapping[str, Value], expected: ValueType) -> Value:
    expression = compiled(text, expected)
    return expression.evaluate(Scope(features, [None] * len(expression.crossovers)))


def series(text: str, rows: Sequence[Mapping[str, Value]]) -> list[Value]:
    """Evaluate over consecutive bars, carrying the crossover memory like a strategy does."""
    expression = compiled(text)
    previous: list[Pair | None] = [None] * len(expression.crossovers)
    results: list[Value] = []
    for row in rows:
        scope = Scope(row, previous)
        results.append(expression.evaluate(scope))
        previous = scope.current
    return results


PRICES: dict[str, Value] = {
    "close": 10.0,
    "open": 9.0,
    "high": 11.0,
    "low": 8.5,
    "volume": 1000.0,
    "position": 0.0,
    "is_long": False,
    "is_short": False,
    "is_flat": True,
    "fast.sma": 4.0,
    "slow.sma": 5.0,
    "macd.signal": -0.5,
    "macd.macd": 0.25,
    "bb.upper": 12.0,
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("close + 2", 12.0),
        ("close - 2", 8.0),
        ("close * 2", 20.0),
        ("close / 4", 2.5),
        ("-close", -10.0),
        ("-(open - close)", 1.0),
        ("high - low", 2.5),
        ("volume / 1000", 1.0),
        ("fast + slow", 9.0),
        ("macd.macd - macd.signal", 0.75),
        ("abs(macd.signal)", 0.5),
        ("min(fast, slow)", 4.0),
        ("max(fast, slow)", 5.0),
        ("position", 0.0),
        ("close / 0", None),
        ("close + advice.score", None),
        ("abs(advice.score)", None),
        ("-advice.score", None),
    ],
)
def test_arithmetic(text: str, expected: float | None) -> None:
    assert evaluate(text, PRICES, ValueType.NUMBER) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("close > 9", True),
        ("close > 10", False),
        ("close >= 10", True),
        ("close < 10", False),
        ("close <= 10", True),
        ("close == 10", True),
        ("close != 10", False),
        ("fast < slow", True),
        ("close > bb.upper", False),
        ("is_flat == true", True),
        ("is_long != is_short", False),
        ("is_flat", True),
        ("not is_flat", False),
        ("is_flat and close > 9", True),
        ("is_long or close > 9", True),
        ("is_long or close > 11", False),
        ("not (close > 9 and fast > slow)", True),
        ("true and not false", True),
        ("advice.score > 0", None),
    ],
)
def test_comparisons_and_logic(text: str, expected: bool | None) -> None:
    assert evaluate(text, PRICES, ValueType.BOOLEAN) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("advice.score > 0 and false", False),
        ("advice.score > 0 and true", None),
        ("advice.score > 0 or true", True),
        ("advice.score > 0 or false", None),
        ("not advice.score > 0", None),
    ],
)
def test_unknown_values_use_three_valued_logic(text: str, expected: bool | None) -> None:
    # no advice has arrived: advice.score is unknown
    assert evaluate(text, PRICES, ValueType.BOOLEAN) is expected


def test_advice_fields_resolve() -> None:
    features = {
        **PRICES,
        "advice.score": 0.7,
        "advice.direction": 1.0,
        "advice.features.momentum": 2.0,
    }
    text = "advice.score > 0.5 and advice.direction == 1 and advice.features.momentum > 1"
    assert evaluate(text, features, ValueType.BOOLEAN) is True


def test_crossovers_compare_with_the_previous_bar() -> None:
    rows: list[Mapping[str, Value]] = [
        {"fast.sma": 1.0, "slow.sma": 2.0},
        {"fast.sma": 2.0, "slow.sma": 2.0},  # touching is not crossing
        {"fast.sma": 3.0, "slow.sma": 2.0},  # was <=, now > : cross above
        {"fast.sma": 4.0, "slow.sma": 2.0},
        {"fast.sma": 1.0, "slow.sma": 2.0},
    ]
    assert series("crosses_above(fast, slow)", rows) == [None, False, True, False, False]
    assert series("crosses_below(fast, slow)", rows) == [None, False, False, False, True]


def test_crossover_of_expressions_and_constants() -> None:
    rows: list[Mapping[str, Value]] = [{"close": c} for c in (29.0, 31.0, 35.0, 29.5)]
    assert series("crosses_above(close, 30)", rows) == [None, True, False, False]
    assert series("crosses_below(close - 5, 25)", rows) == [None, False, False, True]


def test_crossover_needs_two_known_bars() -> None:
    rows: list[Mapping[str, Value]] = [
        {"fast.sma": None, "slow.sma": 2.0},
        {"fast.sma": 3.0, "slow.sma": 2.0},
        {"fast.sma": 1.0, "slow.sma": 2.0},
        {"fast.sma": 3.0, "slow.sma": 2.0},
    ]
    assert series("crosses_above(fast, slow)", rows) == [None, None, False, True]


def test_crossovers_are_updated_even_when_the_other_side_decides() -> None:
    # "false and crosses_above(...)" must still remember every bar of the crossover.
    rows: list[Mapping[str, Value]] = [
        {"fast.sma": 1.0, "slow.sma": 2.0, "is_flat": False},
        {"fast.sma": 3.0, "slow.sma": 2.0, "is_flat": True},
    ]
    assert series("is_flat and crosses_above(fast, slow)", rows) == [False, True]


def test_each_crossover_gets_its_own_memory() -> None:
    slots = CrossoverSlots()
    first = compile_expression(
        parse_expression("crosses_above(fast, slow)"),
        "a",
        VOCABULARY,
        expected=ValueType.BOOLEAN,
        slots=slots,
        allow_crossovers=True,
    )
    second = compile_expression(
        parse_expression("crosses_below(fast, slow) or crosses_above(close, 3)"),
        "b",
        VOCABULARY,
        expected=ValueType.BOOLEAN,
        slots=slots,
        allow_crossovers=True,
    )
    assert first.crossovers == (0,)
    assert second.crossovers == (1, 2)
    assert slots.count == 3


def test_aliases_used_are_reported() -> None:
    assert compiled("crosses_above(fast, slow) and close > 1").aliases == {"fast", "slow"}
    assert compiled("macd.hist > 0 and bb.lower < close").aliases == {"macd", "bb"}
    assert compiled("close > open").aliases == frozenset()


@pytest.mark.parametrize(
    ("text", "expected", "fragment", "name", "column"),
    [
        ("fsat > slow", ValueType.BOOLEAN, "unknown name 'fsat'", "fsat", 1),
        ("close > macd", ValueType.BOOLEAN, "macd has several outputs", "macd", 9),
        ("macd.signl > 0", ValueType.BOOLEAN, "macd has no output 'signl'", "macd.signl", 1),
        ("close.__class__ > 1", ValueType.BOOLEAN, "close has no member", "close.__class__", 1),
        ("advice.secret > 1", ValueType.BOOLEAN, "unknown advice field", "advice.secret", 1),
        ("crosses_above(fast)", ValueType.BOOLEAN, "takes 2 arguments, got 1", "crosses_above", 1),
        ("abs(fast, slow) > 1", ValueType.BOOLEAN, "takes 1 argument, got 2", "abs", 1),
        ("sqrt(close) > 1", ValueType.BOOLEAN, "unknown function 'sqrt'", "sqrt", 1),
        ("close > crosses_above", ValueType.BOOLEAN, "is a function", "crosses_above", 9),
        ("close + 1", ValueType.BOOLEAN, "must give a boolean", None, 7),
        ("close > 1", ValueType.NUMBER, "must give a number", None, 7),
        ("is_long + 1 > 0", ValueType.BOOLEAN, "'+' needs a number, got a boolean", None, 1),
        ("close and true", ValueType.BOOLEAN, "'and' needs a boolean, got a number", None, 1),
        ("not close", ValueType.BOOLEAN, "'not' needs a boolean", None, 5),
        ("-is_long == true", ValueType.BOOLEAN, "unary '-' needs a number", None, 2),
        ("is_long < true", ValueType.BOOLEAN, "booleans only support == and !=", "<", 9),
        ("is_long == 1", ValueType.BOOLEAN, "compares a boolean with a number", "==", 9),
        ("crosses_above(is_long, 1)", ValueType.BOOLEAN, "argument 1 of", None, 15),
    ],
)
def test_compile_errors_name_the_problem(
    text: str, expected: ValueType, fragment: str, name: str | None, column: int
) -> None:
    with pytest.raises(ExpressionError) as caught:
        compiled(text, expected)
    assert fragment in caught.value.reason
    assert caught.value.name == name
    assert caught.value.column == column


def test_crossovers_can_be_forbidden_outside_conditions() -> None:
    with pytest.raises(ExpressionError, match="only allowed in a rule's 'when'"):
        compiled("crosses_above(fast, slow)", crossovers=False)
