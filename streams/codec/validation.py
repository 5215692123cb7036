"""Strict validation of Python values against an expanded Avro schema.

fastavro's writer is lenient (it writes ``1.0`` and ``True`` into a long, ignores extra
fields unless asked, accepts naive datetimes and raw bytes for decimals) and its validator
is slower than writing the record. This module compiles a schema once into a tree of small
checks, so strict validation of a tick costs a fraction of encoding it.

Rules, on top of Avro's: records are ``dict``s with exactly the schema's fields; ``int`` and
``long`` refuse ``bool`` and ``float``; ``float``/``double`` accept ``int`` or ``float`` but not
``bool`` or ``Decimal``; decimals are finite :class:`~decimal.Decimal` with at most ``scale``
fractional digits and ``precision`` digits; timestamps are timezone-aware ``datetime``;
``date`` is a ``date`` (not a ``datetime``); enums are one of their symbols; arrays are
``list``s (a tuple would come back as a list, and fastavro writes a 2-tuple in a union as
"tuple notation").
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Final

from streams.codec.errors import FieldEncodeError, SchemaDefinitionError
from streams.codec.schemas import NAMED_KINDS

Check = Callable[[Any], None]

INT_RANGE: Final = (-(2**31), 2**31 - 1)
LONG_RANGE: Final = (-(2**63), 2**63 - 1)


class _FieldError(Exception):
    """Internal: a value failed a check; records prepend their field names on the way out."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: list[str] = []


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _check_null(value: Any) -> None:
    if value is not None:
        raise _FieldError(f"expected null, got {_describe(value)}")


def _check_boolean(value: Any) -> None:
    if type(value) is not bool:
        raise _FieldError(f"expected a bool, got {_describe(value)}")


def _integer_check(kind: str, low: int, high: int) -> Check:
    def check(value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _FieldError(f"expected an integer ({kind}), got {_describe(value)}")
        if not low <= value <= high:
            raise _FieldError(f"{value} is out of range for {kind}")

    return check


def _check_real(value: Any) -> None:
    if not isinstance(value, float | int) or isinstance(value, bool):
        raise _FieldError(f"expected a float, got {_describe(value)}")


def _check_string(value: Any) -> None:
    if not isinstance(value, str):
        raise _FieldError(f"expected a str, got {_describe(value)}")


def _check_bytes(value: Any) -> None:
    if not isinstance(value, bytes | bytearray):
        raise _FieldError(f"expected bytes, got {_describe(value)}")


def _decimal_check(precision: int, scale: int) -> Check:
    def check(value: Any) -> None:
        if type(value) is not Decimal:
            raise _FieldError(
                f"expected a Decimal (use streams.decimals.q), got {_describe(value)}"
            )
        _, digits, exponent = value.as_tuple()
        if not isinstance(exponent, int):
            raise _FieldError(f"{value} is not a finite decimal")
        if exponent < -scale:
            raise _FieldError(f"{value} has more than {scale} decimal places; quantize it with q()")
        if len(digits) + exponent + scale > precision and value != 0:
            raise _FieldError(f"{value} needs more than {precision} digits")

    return check


def _check_timestamp(value: Any) -> None:
    if not isinstance(value, dt.datetime):
        raise _FieldError(f"expected a timezone-aware datetime, got {_describe(value)}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise _FieldError(f"naive datetime {value.isoformat()}: timestamps must be timezone-aware")


def _check_local_timestamp(value: Any) -> None:
    if not isinstance(value, dt.datetime):
        raise _FieldError(f"expected a datetime, got {_describe(value)}")


def _check_date(value: Any) -> None:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise _FieldError(f"expected a date, got {_describe(value)}")


def _check_time(value: Any) -> None:
    if not isinstance(value, dt.time):
        raise _FieldError(f"expected a time, got {_describe(value)}")


def _check_uuid_string(value: Any) -> None:
    if not isinstance(value, str):
        raise _FieldError(f"expected a UUID string, got {_describe(value)}")


_PRIMITIVE_CHECKS: Final[dict[str, Check]] = {
    "null": _check_null,
    "boolean": _check_boolean,
    "int": _integer_check("int", *INT_RANGE),
    "long": _integer_check("long", *LONG_RANGE),
    "float": _check_real,
    "double": _check_real,
    "string": _check_string,
    "bytes": _check_bytes,
}

_LOGICAL_CHECKS: Final[dict[tuple[str, str], Check]] = {
    ("long", "timestamp-micros"): _check_timestamp,
    ("long", "timestamp-millis"): _check_timestamp,
    ("long", "local-timestamp-micros"): _check_local_timestamp,
    ("long", "local-timestamp-millis"): _check_local_timestamp,
    ("int", "date"): _check_date,
    ("int", "time-millis"): _check_time,
    ("long", "time-micros"): _check_time,
    ("string", "uuid"): _check_uuid_string,
}


class _Compiler:
    def __init__(self) -> None:
        self._named: dict[str, Check] = {}

    def compile(self, node: Any) -> Check:
        if isinstance(node, str):
            return self._reference(node)
        if isinstance(node, list):
            return self._union(node)
        kind = node["type"]
        if not isinstance(kind, str):
            return self.compile(kind)
        if kind in NAMED_KINDS:
            return self._define(node)
        if kind in ("array", "map"):
            return self._container(kind, node)
        return self._primitive(kind, node)

    def _container(self, kind: str, node: Mapping[str, Any]) -> Check:
        if kind == "array":
            return self._array(self.compile(node["items"]))
        return self._map(self.compile(node["values"]))

    def _primitive(self, kind: str, node: Mapping[str, Any]) -> Check:
        logical = node.get("logicalType")
        if logical == "decimal" and kind in ("bytes", "fixed"):
            return _decimal_check(int(node["precision"]), int(node.get("scale", 0)))
        special = _LOGICAL_CHECKS.get((kind, str(logical)))
        return special if special is not None else self._reference(kind)

    def _reference(self, name: str) -> Check:
        primitive = _PRIMITIVE_CHECKS.get(name)
        if primitive is not None:
            return primitive
        if name not in self._named:
            raise SchemaDefinitionError(f"reference to undefined type {name!r}")
        named = self._named

        def deferred(value: Any) -> None:  # resolved at call time: allows recursive types
            named[name](value)

        return deferred

    def _define(self, node: Mapping[str, Any]) -> Check:
        name = str(node["name"])
        kind = node["type"]
        if kind == "enum":
            check = _enum_check(name, frozenset(node["symbols"]))
        elif kind == "fixed":
            check = _fixed_check(name, int(node["size"]))
        else:
            self._named[name] = _check_null  # placeholder until the fields are compiled
            fields = tuple((str(f["name"]), self.compile(f["type"])) for f in node["fields"])
            check = _record_check(name, fields)
        self._named[name] = check
        return check

    def _union(self, branches: list[Any]) -> Check:
        compiled = [self.compile(b) for b in branches]
        nullable = "null" in branches
        others = [c for b, c in zip(branches, compiled, strict=True) if b != "null"]
        if nullable and len(others) == 1:
            inner = others[0]

            def optional(value: Any) -> None:
                if value is not None:
                    inner(value)

            return optional

        def union(value: Any) -> None:
            problems: list[str] = []
            for check in compiled:
                try:
                    check(value)
                except _FieldError as exc:
                    problems.append(exc.problem)
                else:
                    return
            raise _FieldError("matches no branch of the union: " + "; ".join(problems))

        return union

    @staticmethod
    def _array(items: Check) -> Check:
        def check(value: Any) -> None:
            if not isinstance(value, list):
                raise _FieldError(f"expected a list, got {_describe(value)}")
            for index, item in enumerate(value):
                try:
                    items(item)
                except _FieldError as exc:
                    exc.path.insert(0, f"[{index}]")
                    raise

        return check

    @staticmethod
    def _map(values: Check) -> Check:
        def check(value: Any) -> None:
            if not isinstance(value, dict):
                raise _FieldError(f"expected a dict, got {_describe(value)}")
            for key, item in value.items():
                if not isinstance(key, str):
                    raise _FieldError(f"map keys must be str, got {_describe(key)}")
                try:
                    values(item)
                except _FieldError as exc:
                    exc.path.insert(0, f"[{key!r}]")
                    raise

        return check


def _enum_check(name: str, symbols: frozenset[str]) -> Check:
    def check(value: Any) -> None:
        if not isinstance(value, str) or value not in symbols:
            raise _FieldError(f"expected one of {sorted(symbols)} ({name}), got {_describe(value)}")

    return check


def _fixed_check(name: str, size: int) -> Check:
    def check(value: Any) -> None:
        if not isinstance(value, bytes | bytearray) or len(value) != size:
            raise _FieldError(f"expected {size} bytes ({name}), got {_describe(value)}")

    return check


def _record_check(name: str, fields: tuple[tuple[str, Check], ...]) -> Check:
    expected = frozenset(field_name for field_name, _ in fields)

    def check(value: Any) -> None:
        if not isinstance(value, dict):
            raise _FieldError(f"expected a dict for record {name}, got {_describe(value)}")
        if value.keys() != expected:
            missing = [field_name for field_name, _ in fields if field_name not in value]
            extra = sorted(str(k) for k in value.keys() - expected)
            problem = f"missing field {missing[0]}" if missing else f"unknown field {extra[0]}"
            exc = _FieldError(f"{problem} (record {name})")
            exc.path.append(missing[0] if missing else extra[0])
            raise exc
        for field_name, field_check in fields:
            try:
                field_check(value[field_name])
            except _FieldError as exc:
                exc.path.insert(0, field_name)
                raise

    return check


class Validator:
    """A compiled strict validator for one schema (JSON text or structure, expanded)."""

    __slots__ = ("_check", "name")

    def __init__(self, schema: str | Any, name: str | None = None) -> None:
        tree = json.loads(schema) if isinstance(schema, str) else schema
        self._check = _Compiler().compile(tree)
        default = tree.get("name") if isinstance(tree, dict) else None
        self.name = name or str(default or tree)

    def __call__(self, value: Any) -> None:
        """Raise :class:`FieldEncodeError` naming the first field that does not conform."""
        try:
            self._check(value)
        except _FieldError as exc:
            raise FieldEncodeError(self.name, _dotted(exc.path), exc.problem) from exc


def _dotted(path: list[str]) -> str:
    """``["reasons", "[0]", "code"]`` -> ``reasons[0].code``."""
    out = ""
    for part in path:
        out += part if part.startswith("[") or not out else f".{part}"
    return out
