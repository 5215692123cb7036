"""The rule expression language of YAML strategies: tokenizer, parser, compiler."""

from streams.strategy.dsl.compiler import (
    CompiledExpression,
    CrossoverSlots,
    Scope,
    compile_expression,
)
from streams.strategy.dsl.names import ValueType, Vocabulary
from streams.strategy.dsl.parser import parse_expression

__all__ = [
    "CompiledExpression",
    "CrossoverSlots",
    "Scope",
    "ValueType",
    "Vocabulary",
    "compile_expression",
    "parse_expression",
]
