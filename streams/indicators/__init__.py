"""Incremental technical indicators (O(1) per bar, explicit state), checked against TA-Lib.

Use :func:`create` with a spec such as ``"macd:12:26:9"``; see docs/indicators.md.
"""

from streams.indicators.base import BarInput, Indicator
from streams.indicators.registry import INDICATORS, IndicatorSpec, create, parse_spec, parse_specs

__all__ = [
    "INDICATORS",
    "BarInput",
    "Indicator",
    "IndicatorSpec",
    "create",
    "parse_spec",
    "parse_specs",
]
