"""Typed reads from composed YAML nodes, with errors that carry the YAML line.

Strategy files are composed into nodes (not plain dicts) so that each value keeps its
``start_mark``; every helper here raises :class:`StrategyConfigError` naming the dotted path,
the line and, where there is one, the offending name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode

from streams.strategy.dsl import (
    CompiledExpression,
    CrossoverSlots,
    ValueType,
    Vocabulary,
    compile_expression,
    parse_expression,
)
from streams.strategy.errors import ExpressionError, StrategyConfigError

_NUMBER_TAGS: Final = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
_STRING_TAG: Final = "tag:yaml.org,2002:str"


@dataclass(slots=True)
class YamlReader:
    """Reads typed values out of YAML nodes, raising errors that carry the line."""

    source: str
    constructor: SafeConstructor = field(default_factory=SafeConstructor)

    def error(
        self, node: Node, path: str, message: str, *, name: str | None = None
    ) -> StrategyConfigError:
        return StrategyConfigError(
            path, message, source=self.source, line=node.start_mark.line + 1, name=name
        )

    def mapping(self, node: Node, path: str, allowed: frozenset[str]) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            raise self.error(node, path, "must be a mapping")
        result: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                raise self.error(key_node, path, "keys must be plain strings")
            where = f"{path}.{key}" if path else key
            if key in result:
                raise self.error(key_node, where, f"duplicate key {key!r}", name=key)
            if allowed and key not in allowed:
                raise self.error(
                    key_node,
                    where,
                    f"unknown key {key!r}; allowed: {', '.join(sorted(allowed))}",
                    name=key,
                )
            result[key] = value_node
        return result

    def string(self, node: Node, path: str) -> str:
        if not isinstance(node, ScalarNode) or node.tag != _STRING_TAG or not node.value:
            raise self.error(node, path, "must be a non-empty string")
        return str(node.value)

    def integer(self, node: Node, path: str, *, minimum: int) -> int:
        value = self.constructor.construct_object(node, deep=True)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(node, path, f"must be an integer >= {minimum}, got {value!r}")
        return value

    def decimal(self, node: Node, path: str, *, maximum: Decimal | None = None) -> Decimal:
        """A positive number, read from the YAML text (never through a binary float)."""
        if not isinstance(node, ScalarNode) or node.tag not in _NUMBER_TAGS:
            raise self.error(node, path, "must be a number")
        try:
            value = Decimal(str(node.value).replace("_", ""))
        except InvalidOperation as exc:
            raise self.error(node, path, f"not a number: {node.value!r}") from exc
        if not value.is_finite() or value <= 0 or (maximum is not None and value > maximum):
            bound = f" and <= {maximum}" if maximum is not None else ""
            raise self.error(node, path, f"must be > 0{bound}, got {node.value}")
        return value

    def choice(self, node: Node, path: str, options: dict[str, Any], *, upper: bool) -> Any:
        text = self.string(node, path)
        key = text.upper() if upper else text.lower()
        if key not in options:
            raise self.error(
                node, path, f"must be one of {', '.join(options)}, got {text!r}", name=text
            )
        return options[key]

    def expression(
        self,
        node: Node,
        path: str,
        vocabulary: Vocabulary,
        *,
        expected: ValueType,
        slots: CrossoverSlots,
        allow_crossovers: bool = False,
    ) -> CompiledExpression:
        if not isinstance(node, ScalarNode):
            raise self.error(node, path, "must be an expression string")
        text = str(node.value)
        try:
            tree = parse_expression(text)
            return compile_expression(
                tree,
                text,
                vocabulary,
                expected=expected,
                slots=slots,
                allow_crossovers=allow_crossovers,
            )
        except ExpressionError as exc:
            line = node.start_mark.line + 1 + text.count("\n", 0, exc.column - 1)
            raise StrategyConfigError(
                path,
                f"{exc.reason} (column {exc.column} of {text!r})",
                source=self.source,
                line=line,
                column=exc.column,
                name=exc.name,
            ) from exc
