"""Sample records for every event schema, for the codec tests (see conftest.py).

:class:`SampleBuilder` walks any event schema and fills it with realistic values: the real
envelope helper, instrument/venue names, decimals at the full scale of 9 places (and at the
38-digit limit), timezone-aware timestamps, every enum symbol across variants, and either
every optional field set or every optional field null. It is generic on purpose, so a
schema added to avro/ is covered by the round-trip tests without touching them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from streams.codec import SchemaStore
from streams.codec.schemas import NAMED_KINDS, PRIMITIVES
from streams.decimals import q
from streams.events import derive_event_id, envelope

_DECIMALS = (
    q("64123.123456789"),
    q("99999999999999999999999999999.999999999"),  # 38 digits: the precision limit
    q("-0.000000001"),
    q("-12.5"),
)
_INTS = (60, 2**31 - 1, -(2**31), 0)
_LONGS = (1_234_567, 2**63 - 1, -(2**63), 0)
_TIMES = (
    datetime(2024, 3, 4, 5, 6, 7, 891_011, tzinfo=UTC),
    datetime(2031, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(1969, 7, 20, 20, 17, 40, 1, tzinfo=UTC),  # before the epoch: negative micros
    datetime(2024, 6, 1, 9, 30, tzinfo=timezone(timedelta(hours=2))),  # not UTC, still aware
)
_TEXT = ("alpha", "Zürich ✓ 東京", "", "x" * 300)
_NAMED_STRINGS: Mapping[str, tuple[str, ...]] = {
    "instrument": ("BTC-USD", "ETH-USD", "AAPL", "EUR-USD"),
    "venue": ("SIMX", "XNAS", "BINANCE", "SIMX"),
    "account": ("acct-1", "acct-2", "acct-3", "acct-4"),
    "strategy": ("ema_cross", "mean_revert", "breakout", "ema_cross"),
}


class SampleBuilder:
    """Builds a valid record for any event schema of a store."""

    def __init__(self, store: SchemaStore) -> None:
        self._store = store

    def build(
        self,
        event_type: str,
        *,
        version: int | None = None,
        variant: int = 0,
        nulls: bool = False,
    ) -> dict[str, Any]:
        sv = (
            self._store.latest(event_type)
            if version is None
            else self._store.get(event_type, version)
        )
        walker = _Walker(event_type, sv.version, variant, nulls)
        value = walker.value(json.loads(sv.canonical), "")
        assert isinstance(value, dict)
        return value

    def variants(self, event_type: str, version: int | None = None) -> int:
        """How many variants it takes to use every enum symbol and every sample value."""
        sv = (
            self._store.latest(event_type)
            if version is None
            else self._store.get(event_type, version)
        )
        return max(len(_DECIMALS), _max_symbols(json.loads(sv.canonical)))


def _max_symbols(node: Any) -> int:
    if isinstance(node, list):
        return max((_max_symbols(b) for b in node), default=0)
    if not isinstance(node, dict):
        return 0
    own = len(node["symbols"]) if node.get("type") == "enum" else 0
    inner = [_max_symbols(f["type"]) for f in node.get("fields", [])]
    inner += [_max_symbols(node[k]) for k in ("items", "values") if k in node]
    return max([own, *inner])


class _Walker:
    def __init__(self, event_type: str, version: int, variant: int, nulls: bool) -> None:
        self.event_type = event_type
        self.version = version
        self.variant = variant
        self.nulls = nulls
        self.named: dict[str, Any] = {}

    def pick(self, options: tuple[Any, ...]) -> Any:
        return options[self.variant % len(options)]

    def value(self, node: Any, field: str) -> Any:
        if isinstance(node, str):
            node = self.named.get(node, {"type": node})
        if isinstance(node, list):
            return self.union(node, field)
        kind = node["type"]
        if kind in NAMED_KINDS:
            self.named[node["name"]] = node
        if field == "envelope":
            return self.envelope()
        if "logicalType" in node:
            return self.logical(node["logicalType"])
        if kind in ("record", "error", "enum"):
            return self.named_value(node)
        if kind in ("array", "map"):
            return self.container(node, field)
        return self.primitive(kind, field)

    def union(self, branches: list[Any], field: str) -> Any:
        others = [b for b in branches if b != "null"]
        if self.nulls or not others:
            return None
        return self.value(others[self.variant % len(others)], field)

    def named_value(self, node: dict[str, Any]) -> Any:
        if node["type"] == "enum":
            return self.pick(tuple(node["symbols"]))
        return {f["name"]: self.value(f["type"], f["name"]) for f in node["fields"]}

    def logical(self, logical: str) -> Any:
        if logical == "decimal":
            return self.pick(_DECIMALS)
        if logical == "date":
            return self.pick(_TIMES).date() if self.variant != 2 else date(1969, 12, 31)
        assert logical in ("timestamp-micros", "timestamp-millis"), logical
        when = self.pick(_TIMES)
        return when.replace(microsecond=0) if logical == "timestamp-millis" else when

    def container(self, node: dict[str, Any], field: str) -> Any:
        if node["type"] == "array":
            return [] if self.nulls else [self.value(node["items"], field) for _ in range(2)]
        if self.nulls:
            return {}
        return {f"{field}_{i}": self.value(node["values"], field) for i in range(2)}

    def primitive(self, kind: str, field: str) -> Any:
        assert kind in PRIMITIVES, kind
        if kind == "string":
            if field in _NAMED_STRINGS:
                return self.pick(_NAMED_STRINGS[field])
            if field.endswith("_id"):
                return derive_event_id("sample", self.event_type, field, self.variant)
            return self.pick(_TEXT)
        samples: dict[str, tuple[Any, ...]] = {
            "null": (None,),
            "boolean": (True, False),
            "int": _INTS,
            "long": _LONGS,
            "float": (0.5, -1.25, 1024.0, 0.0),
            "double": (0.125, -2.5e-300, 1.7e308, 0.0),
            "bytes": (b"\x00\x01\xfe\xff", b"", b"\x00" * 64, b"raw"),
        }
        return self.pick(samples[kind])

    def envelope(self) -> dict[str, Any]:
        event_time = self.pick(_TIMES)
        cause = None if self.nulls else derive_event_id("cause", self.event_type, self.variant)
        return envelope(
            event_type=self.event_type,
            event_id=derive_event_id("sample", self.event_type, self.variant, self.nulls),
            event_time=event_time,
            ingest_time=event_time + timedelta(milliseconds=3),
            agent="codec_tests",
            schema_version=self.version,
            correlation_id=cause,
            causation_id=cause,
        )
