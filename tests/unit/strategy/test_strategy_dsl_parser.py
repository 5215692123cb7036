"""Tokenizer and recursive-descent parser of rule expressions."""

from __future__ import annotations

import pytest
from streams.errors import ConfigError
from streams.strategy.dsl import parse_expression
from streams.strategy.dsl.parser import MAX_DEPTH
from streams.strategy.dsl.syntax import Binary, Boolean, Call, Name, Node, Number, Unary
from streams.strategy.dsl.tokens import TokenKind, tokenize
from streams.strategy.errors import ExpressionError


def render(node: Node) -> str:
    """Fully parenthesised form, to check precedence and associativity."""
    if isinstance(node, Number):
        return repr(node.value)
    if isinstance(node, Boolean):
        return "true" if node.value else "false"
    if isinstance(node, Name):
        return node.text
    if isinstance(node, Unary):
        return f"({node.operator} {render(node.operand)})"
    if isinstance(node, Binary):
        return f"({render(node.left)} {node.operator} {render(node.right)})"
    return f"{node.function}({', '.join(render(a) for a in node.arguments)})"


def test_tokens_carry_kinds_and_columns() -> None:
    tokens = tokenize("macd.signal >= -1.5e2 AND not x")
    assert [(t.kind, t.text, t.column) for t in tokens] == [
        (TokenKind.NAME, "macd", 1),
        (TokenKind.DOT, ".", 5),
        (TokenKind.NAME, "signal", 6),
        (TokenKind.OPERATOR, ">=", 13),
        (TokenKind.OPERATOR, "-", 16),
        (TokenKind.NUMBER, "1.5e2", 17),
        (TokenKind.KEYWORD, "and", 23),
        (TokenKind.KEYWORD, "not", 27),
        (TokenKind.NAME, "x", 31),
        (TokenKind.END, "", 32),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", "(1.0 + (2.0 * 3.0))"),
        ("(1 + 2) * 3", "((1.0 + 2.0) * 3.0)"),
        ("8 - 4 - 2", "((8.0 - 4.0) - 2.0)"),
        ("8 / 4 / 2", "((8.0 / 4.0) / 2.0)"),
        ("-a * b", "((- a) * b)"),
        ("--a", "(- (- a))"),
        ("a < b and c > d or e == f", "(((a < b) and (c > d)) or (e == f))"),
        ("a or b and c", "(a or (b and c))"),
        ("not a and b", "((not a) and b)"),
        ("not not a", "(not (not a))"),
        ("a + 1 <= b * 2", "((a + 1.0) <= (b * 2.0))"),
        ("crosses_above(fast, slow)", "crosses_above(fast, slow)"),
        ("max(a, b + 1) != abs(-c)", "(max(a, (b + 1.0)) != abs((- c)))"),
        ("is_long == TRUE", "(is_long == true)"),
        ("advice.features.momentum > .5", "(advice.features.momentum > 0.5)"),
    ],
)
def test_precedence_and_associativity(text: str, expected: str) -> None:
    assert render(parse_expression(text)) == expected


def test_nodes_record_their_columns() -> None:
    node = parse_expression("close > 2 * atr")
    assert isinstance(node, Binary)
    assert node.column == 7
    assert isinstance(node.right, Binary)
    assert isinstance(node.right.right, Name)
    assert node.right.right.column == 13


def test_call_with_no_arguments_parses() -> None:
    node = parse_expression("f()")
    assert isinstance(node, Call)
    assert node.arguments == ()


@pytest.mark.parametrize(
    ("text", "column", "fragment", "name"),
    [
        ("", 1, "empty expression", None),
        ("close > 10 $", 12, "unexpected character '$'", "$"),
        ("close >", 8, "found the end of the expression", None),
        ("(close > 1", 11, "')' to close the '(' at column 1", None),
        ("close > 1)", 10, "after a complete expression", ")"),
        ("a < b < c", 7, "comparisons do not chain", "<"),
        ("crosses_above(fast slow)", 20, "',' or ')' in the call of crosses_above()", "slow"),
        ("macd.", 6, "a name after 'macd.'", None),
        ("close and", 10, "found the end of the expression", None),
        ("1 2", 3, "unexpected number '2'", "2"),
        ("a = b", 3, "unexpected character '='", "="),
    ],
)
def test_syntax_errors_point_at_the_column(
    text: str, column: int, fragment: str, name: str | None
) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    assert caught.value.column == column
    assert fragment in caught.value.reason
    assert caught.value.name == name
    assert isinstance(caught.value, ConfigError)


def test_nesting_is_bounded() -> None:
    deep = "(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(ExpressionError, match="nested deeper"):
        parse_expression(deep)
    ok = "(" * (MAX_DEPTH - 1) + "1" + ")" * (MAX_DEPTH - 1)
    assert isinstance(parse_expression(ok), Number)


@pytest.mark.parametrize(
    ("hostile", "name"),
    [("__import__('os')", "'"), ("lambda: 1", ":"), ("[1, 2]", "["), ("a; b", ";")],
)
def test_python_syntax_is_refused(hostile: str, name: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(hostile)
    assert caught.value.name == name
