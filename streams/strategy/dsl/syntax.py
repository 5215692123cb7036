"""The expression tree produced by the parser: immutable nodes, each with its column."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Number:
    value: float
    column: int


@dataclass(frozen=True, slots=True)
class Boolean:
    value: bool
    column: int


@dataclass(frozen=True, slots=True)
class Name:
    """A dotted name such as ``close``, ``fast``, ``macd.signal`` or ``advice.score``."""

    parts: tuple[str, ...]
    column: int

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True, slots=True)
class Unary:
    """``-x`` (operator ``-``) or ``not x`` (operator ``not``)."""

    operator: str
    operand: Node
    column: int


@dataclass(frozen=True, slots=True)
class Binary:
    """Arithmetic (``+ - * /``), comparison (``< <= > >= == !=``) or ``and``/``or``."""

    operator: str
    left: Node
    right: Node
    column: int


@dataclass(frozen=True, slots=True)
class Call:
    function: str
    arguments: tuple[Node, ...]
    column: int


Node = Number | Boolean | Name | Unary | Binary | Call
