"""Recursive-descent parser of rule expressions into a :mod:`syntax` tree.

Grammar (lowest precedence first)::

    expression  := or_expr
    or_expr     := and_expr ("or" and_expr)*
    and_expr    := not_expr ("and" not_expr)*
    not_expr    := "not" not_expr | comparison
    comparison  := additive [("<" | "<=" | ">" | ">=" | "==" | "!=") additive]
    additive    := term (("+" | "-") term)*
    term        := unary (("*" | "/") unary)*
    unary       := "-" unary | primary
    primary     := NUMBER | "true" | "false" | "(" expression ")"
                 | NAME "(" [expression ("," expression)*] ")"
                 | NAME ("." NAME)*

Comparisons do not chain (``a < b < c`` is an error: write ``a < b and b < c``). Nothing in
the text is ever evaluated by Python; the tree is type-checked and compiled by
:mod:`streams.strategy.dsl.compiler`.
"""

from __future__ import annotations

from streams.strategy.dsl.syntax import Binary, Boolean, Call, Name, Node, Number, Unary
from streams.strategy.dsl.tokens import COMPARISONS, Token, TokenKind, tokenize
from streams.strategy.errors import ExpressionError

MAX_DEPTH = 64
"""Nesting limit, so a hostile expression cannot exhaust the Python stack."""


class _Parser:
    def __init__(self, text: str) -> None:
        self._tokens = tokenize(text)
        self._index = 0
        self._depth = 0

    def parse(self) -> Node:
        if self._peek().kind is TokenKind.END:
            raise ExpressionError("empty expression", column=1)
        node = self._or()
        token = self._peek()
        if token.kind is not TokenKind.END:
            raise ExpressionError(
                f"unexpected {_describe(token)} after a complete expression",
                column=token.column,
                name=token.text,
            )
        return node

    def _peek(self) -> Token:
        return self._tokens[self._index]

    def _advance(self) -> Token:
        token = self._tokens[self._index]
        if token.kind is not TokenKind.END:
            self._index += 1
        return token

    def _at_keyword(self, word: str) -> bool:
        token = self._peek()
        return token.kind is TokenKind.KEYWORD and token.text == word

    def _at_operator(self, *operators: str) -> bool:
        token = self._peek()
        return token.kind is TokenKind.OPERATOR and token.text in operators

    def _expect(self, kind: TokenKind, what: str) -> Token:
        token = self._peek()
        if token.kind is not kind:
            raise ExpressionError(
                f"expected {what}, found {_describe(token)}",
                column=token.column,
                name=token.text or None,
            )
        return self._advance()

    def _or(self) -> Node:
        node = self._and()
        while self._at_keyword("or"):
            token = self._advance()
            node = Binary("or", node, self._and(), token.column)
        return node

    def _and(self) -> Node:
        node = self._not()
        while self._at_keyword("and"):
            token = self._advance()
            node = Binary("and", node, self._not(), token.column)
        return node

    def _not(self) -> Node:
        if self._at_keyword("not"):
            token = self._advance()
            self._enter(token)
            operand = self._not()
            self._depth -= 1
            return Unary("not", operand, token.column)
        return self._comparison()

    def _comparison(self) -> Node:
        node = self._additive()
        if self._at_operator(*COMPARISONS):
            token = self._advance()
            node = Binary(token.text, node, self._additive(), token.column)
            if self._at_operator(*COMPARISONS):
                extra = self._peek()
                raise ExpressionError(
                    "comparisons do not chain; combine them with 'and'",
                    column=extra.column,
                    name=extra.text,
                )
        return node

    def _additive(self) -> Node:
        node = self._term()
        while self._at_operator("+", "-"):
            token = self._advance()
            node = Binary(token.text, node, self._term(), token.column)
        return node

    def _term(self) -> Node:
        node = self._unary()
        while self._at_operator("*", "/"):
            token = self._advance()
            node = Binary(token.text, node, self._unary(), token.column)
        return node

    def _unary(self) -> Node:
        if self._at_operator("-"):
            token = self._advance()
            self._enter(token)
            operand = self._unary()
            self._depth -= 1
            return Unary("-", operand, token.column)
        return self._primary()

    def _primary(self) -> Node:
        token = self._peek()
        if token.kind is TokenKind.NUMBER:
            self._advance()
            return Number(float(token.text), token.column)
        if token.kind is TokenKind.KEYWORD and token.text in ("true", "false"):
            self._advance()
            return Boolean(token.text == "true", token.column)
        if token.kind is TokenKind.LPAREN:
            self._advance()
            self._enter(token)
            node = self._or()
            self._depth -= 1
            self._expect(TokenKind.RPAREN, "')' to close the '(' at column " + str(token.column))
            return node
        if token.kind is TokenKind.NAME:
            return self._name_or_call()
        raise ExpressionError(
            f"expected a number, name or '(', found {_describe(token)}",
            column=token.column,
            name=token.text or None,
        )

    def _name_or_call(self) -> Node:
        first = self._advance()
        if self._peek().kind is TokenKind.LPAREN:
            opening = self._advance()
            self._enter(opening)
            arguments: list[Node] = []
            if self._peek().kind is not TokenKind.RPAREN:
                arguments.append(self._or())
                while self._peek().kind is TokenKind.COMMA:
                    self._advance()
                    arguments.append(self._or())
            self._depth -= 1
            self._expect(TokenKind.RPAREN, f"',' or ')' in the call of {first.text}()")
            return Call(first.text, tuple(arguments), first.column)
        parts = [first.text]
        while self._peek().kind is TokenKind.DOT:
            self._advance()
            parts.append(self._expect(TokenKind.NAME, f"a name after '{'.'.join(parts)}.'").text)
        return Name(tuple(parts), first.column)

    def _enter(self, token: Token) -> None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise ExpressionError(
                f"expression nested deeper than {MAX_DEPTH} levels", column=token.column
            )


def _describe(token: Token) -> str:
    if token.kind is TokenKind.END:
        return "the end of the expression"
    if token.kind in (TokenKind.NUMBER, TokenKind.NAME, TokenKind.KEYWORD, TokenKind.OPERATOR):
        return f"{token.kind.value} {token.text!r}"
    return repr(token.text)


def parse_expression(text: str) -> Node:
    """Parse ``text`` into an expression tree; raise ExpressionError with the column."""
    return _Parser(text).parse()
