"""Tokenizer of the rule expression language.

Tokens carry their 1-based column so that every error can point into the expression.
Names are ASCII identifiers; ``and``/``or``/``not``/``true``/``false`` are keywords in any
letter case. Numbers are decimal literals with an optional fraction and exponent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from streams.strategy.errors import ExpressionError


class TokenKind(StrEnum):
    NUMBER = "number"
    NAME = "name"
    KEYWORD = "keyword"
    OPERATOR = "operator"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    DOT = "."
    END = "end of expression"


KEYWORDS: Final = frozenset({"and", "or", "not", "true", "false"})
COMPARISONS: Final = frozenset({"<", "<=", ">", ">=", "==", "!="})

_TOKEN: Final = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<operator><=|>=|==|!=|<|>|\+|-|\*|/)
  | (?P<punct>[(),.])
    """,
    re.VERBOSE,
)
_PUNCT: Final = {"(": TokenKind.LPAREN, ")": TokenKind.RPAREN, ",": TokenKind.COMMA}


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str
    column: int


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with an END token; raise ExpressionError."""
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            char = text[position]
            raise ExpressionError(f"unexpected character {char!r}", column=position + 1, name=char)
        kind = match.lastgroup
        value = match.group()
        column = position + 1
        position = match.end()
        if kind == "space":
            continue
        if kind == "number":
            tokens.append(Token(TokenKind.NUMBER, value, column))
        elif kind == "name":
            lowered = value.lower()
            if lowered in KEYWORDS:
                tokens.append(Token(TokenKind.KEYWORD, lowered, column))
            else:
                tokens.append(Token(TokenKind.NAME, value, column))
        elif kind == "operator":
            tokens.append(Token(TokenKind.OPERATOR, value, column))
        else:
            tokens.append(Token(_PUNCT.get(value, TokenKind.DOT), value, column))
    tokens.append(Token(TokenKind.END, "", len(text) + 1))
    return tokens
