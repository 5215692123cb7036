"""The Avro schema of the strategy processor's snapshot.

Typed fields where the shape is flat (versions, positions, switches, rate windows,
counters); JSON strings where it is nested and strategy-defined (per-instrument rule memory,
pending join slots, the advice book).
"""

from __future__ import annotations

from typing import Any, Final

from streams.decimals import DECIMAL_SCHEMA

_TIMESTAMP: Final = {"type": "long", "logicalType": "timestamp-micros"}
_STRINGS: Final = {"type": "array", "items": "string"}

STATE_SCHEMA: Final[dict[str, Any]] = {
    "type": "record",
    "name": "StrategyProcessorState",
    "namespace": "tapewire.strategy",
    "doc": "Snapshot of streams.strategy.processor.StrategyProcessor.",
    "fields": [
        {
            "name": "strategies",
            "doc": "the strategy versions the state was built with",
            "type": {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "StrategyVersion",
                    "fields": [
                        {"name": "name", "type": "string"},
                        {"name": "version", "type": "int"},
                    ],
                },
            },
        },
        {
            "name": "positions",
            "doc": "expected position per strategy and instrument (from emitted intents)",
            "type": {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "ExpectedPosition",
                    "fields": [
                        {"name": "strategy", "type": "string"},
                        {"name": "instrument", "type": "string"},
                        {"name": "quantity", "type": DECIMAL_SCHEMA},
                    ],
                },
            },
        },
        {
            "name": "memory_json",
            "type": "string",
            "doc": "JSON {strategy: {instrument: memory}} (e.g. crossover previous values)",
        },
        {
            "name": "rate_windows",
            "type": {"type": "map", "values": {"type": "array", "items": _TIMESTAMP}},
            "doc": "event times of recently emitted intents per strategy",
        },
        {
            "name": "switches",
            "type": {
                "type": "record",
                "name": "Switches",
                "fields": [
                    {"name": "global_killed", "type": "boolean"},
                    {"name": "killed_strategies", "type": _STRINGS},
                    {"name": "killed_accounts", "type": _STRINGS},
                    {"name": "disabled_strategies", "type": _STRINGS},
                ],
            },
        },
        {"name": "pending_json", "type": "string", "doc": "JSON of the join buffer"},
        {"name": "advice_json", "type": "string", "doc": "JSON of the advice book"},
        {"name": "counters", "type": {"type": "map", "values": "long"}},
    ],
}
