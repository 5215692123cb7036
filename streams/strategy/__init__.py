"""Strategies: Python plug-ins and YAML rule files, run by :class:`StrategyProcessor`.

See docs/strategies.md. Strategies emit ``strategy.intent`` events, never orders.
"""

from streams.strategy.base import (
    Advice,
    Bar,
    BarContext,
    IndicatorReading,
    IntentRequest,
    RateLimit,
    Strategy,
)
from streams.strategy.errors import ExpressionError, StrategyConfigError
from streams.strategy.loading import load_strategies, load_strategy, required_indicators
from streams.strategy.processor import StrategyProcessor
from streams.strategy.yaml_loader import load_strategy_file, parse_strategy_yaml

__all__ = [
    "Advice",
    "Bar",
    "BarContext",
    "ExpressionError",
    "IndicatorReading",
    "IntentRequest",
    "RateLimit",
    "Strategy",
    "StrategyConfigError",
    "StrategyProcessor",
    "load_strategies",
    "load_strategy",
    "load_strategy_file",
    "parse_strategy_yaml",
    "required_indicators",
]
