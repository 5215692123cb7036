"""Grafana's PostgreSQL query macros, expanded the way Grafana does it (pure).

Lets tests (and analysts) run a dashboard panel's SQL outside Grafana for a real time range.
Supported, as documented for Grafana's PostgreSQL data source:

=====================================  ==================================================
``$__time(col)``                       ``col AS "time"``
``$__timeEpoch(col)``                  ``extract(epoch from col) as "time"``
``$__timeFilter(col)``                 ``col BETWEEN '<from>' AND '<to>'`` (RFC 3339, UTC)
``$__timeFrom()`` / ``$__timeTo()``    ``'<from>'`` / ``'<to>'``
``$__timeGroup(col, 5m[, fill])``      ``floor(extract(epoch from col)/300)*300``, or
                                       ``time_bucket('300.000s',col)`` when the data
                                       source has ``timescaledb: true``
``$__timeGroupAlias(col, 5m)``         the same ``AS "time"``
``$__unixEpochFilter(col)``            ``col >= <from s> AND col <= <to s>``
``$__unixEpochNanoFilter(col)``        the same in nanoseconds
``$__unixEpochGroup(col, 5m)``         ``floor((col)/300)*300`` (+ ``Alias`` variant)
=====================================  ==================================================

and the global variables Grafana substitutes first: ``$__interval``, ``$__interval_ms``,
``$__from``, ``$__to`` (epoch milliseconds) and ``$__range_s``. The fill argument of
``$__timeGroup`` only changes how Grafana post-processes results, so it is accepted and
ignored here. An unknown macro raises :class:`GrafanaMacroError`, as Grafana refuses it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from streams.errors import TapewireError

_MACRO: Final = re.compile(r"\$([_a-zA-Z0-9]+)\(([^)]*)\)")
_INTERVAL: Final = re.compile(r"^(\d+)(ms|s|m|h|d|w|y)$")
_UNIT_SECONDS: Final = {
    "ms": 0.001,
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 604800,
    "y": 31536000,
}


class GrafanaMacroError(TapewireError):
    """A panel query uses an unknown macro or passes it bad arguments."""


@dataclass(frozen=True, slots=True)
class TimeRange:
    """The dashboard's time picker: ``start`` to ``end`` (timezone-aware)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("time range bounds must be timezone-aware")
        if self.end < self.start:
            raise ValueError("time range ends before it starts")


def parse_interval(text: str) -> timedelta:
    """Grafana's interval syntax (``30s``, ``5m``, ``1h``, ``1d``, ``100ms``)."""
    match = _INTERVAL.match(text.strip().strip("'"))
    if match is None:
        raise GrafanaMacroError(f"error parsing interval {text!r}")
    return timedelta(seconds=int(match[1]) * _UNIT_SECONDS[match[2]])


def format_interval(interval: timedelta) -> str:
    """The shortest Grafana spelling of ``interval`` (what ``$__interval`` expands to)."""
    millis = round(interval.total_seconds() * 1000)
    for unit, seconds in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        unit_ms = seconds * 1000
        if millis >= unit_ms and millis % unit_ms == 0:
            return f"{millis // unit_ms}{unit}"
    return f"{millis}ms"


def expand(
    query: str,
    time_range: TimeRange,
    interval: timedelta,
    *,
    timescaledb: bool = False,
) -> str:
    """``query`` with Grafana's global variables and PostgreSQL macros expanded."""
    text = _substitute_variables(query, time_range, interval)
    errors: list[GrafanaMacroError] = []

    def replace(match: re.Match[str]) -> str:
        name = match[1]
        if name == "__timeGroup" and text[match.end() : match.end() + 1] == ",":
            name = "__timeGroupAlias"  # Grafana's pre-5.3 compatibility rule
        args = [a.strip() for a in match[2].split(",")] if match[2].strip() else []
        try:
            return _macro(name, args, time_range, timescaledb)
        except GrafanaMacroError as exc:
            errors.append(exc)
            return "macro_error()"

    expanded = _MACRO.sub(replace, text)
    if errors:
        raise errors[0]
    return expanded


def _substitute_variables(query: str, time_range: TimeRange, interval: timedelta) -> str:
    start_ms = _epoch_ms(time_range.start)
    end_ms = _epoch_ms(time_range.end)
    values = {
        "__interval_ms": str(round(interval.total_seconds() * 1000)),
        "__interval": format_interval(interval),
        "__range_s": str((end_ms - start_ms) // 1000),
        "__from": str(start_ms),
        "__to": str(end_ms),
    }
    for name, value in values.items():  # longest names first: __interval_ms before __interval
        query = re.sub(rf"\$\{{{name}\}}|\${name}(?![_a-zA-Z0-9(])", value, query)
    return query


def _macro(name: str, args: list[str], time_range: TimeRange, timescaledb: bool) -> str:
    if name in ("__timeGroup", "__timeGroupAlias"):
        column, seconds = _group_args(name, args)
        if timescaledb:
            group = f"time_bucket('{seconds:.3f}s',{column})"
        else:
            group = f"floor(extract(epoch from {column})/{seconds:g})*{seconds:g}"
        return f'{group} AS "time"' if name.endswith("Alias") else group
    if name in ("__unixEpochGroup", "__unixEpochGroupAlias"):
        column, seconds = _group_args(name, args)
        group = f"floor(({column})/{seconds:g})*{seconds:g}"
        return f'{group} AS "time"' if name.endswith("Alias") else group
    if name in _RANGE_VALUES:
        return _RANGE_VALUES[name](time_range)
    if name in _COLUMN_MACROS:
        return _COLUMN_MACROS[name](_column(name, args), time_range)
    raise GrafanaMacroError(f"unknown macro ${name}")


def _time_filter(column: str, time_range: TimeRange) -> str:
    start, end = _rfc3339(time_range.start), _rfc3339(time_range.end)
    return f"{column} BETWEEN '{start}' AND '{end}'"


def _epoch_filter(column: str, time_range: TimeRange) -> str:
    start, end = _epoch_s(time_range.start), _epoch_s(time_range.end)
    return f"{column} >= {start} AND {column} <= {end}"


def _epoch_nano_filter(column: str, time_range: TimeRange) -> str:
    start, end = _epoch_ns(time_range.start), _epoch_ns(time_range.end)
    return f"{column} >= {start} AND {column} <= {end}"


_COLUMN_MACROS: Final[dict[str, Callable[[str, TimeRange], str]]] = {
    "__time": lambda column, _: f'{column} AS "time"',
    "__timeEpoch": lambda column, _: f'extract(epoch from {column}) as "time"',
    "__timeFilter": _time_filter,
    "__unixEpochFilter": _epoch_filter,
    "__unixEpochNanoFilter": _epoch_nano_filter,
}
_RANGE_VALUES: Final[dict[str, Callable[[TimeRange], str]]] = {
    "__timeFrom": lambda r: f"'{_rfc3339(r.start)}'",
    "__timeTo": lambda r: f"'{_rfc3339(r.end)}'",
    "__unixEpochNanoFrom": lambda r: str(_epoch_ns(r.start)),
    "__unixEpochNanoTo": lambda r: str(_epoch_ns(r.end)),
}


def _column(name: str, args: list[str]) -> str:
    if not args or not args[0]:
        raise GrafanaMacroError(f"missing time column argument for macro ${name}")
    return args[0]


def _group_args(name: str, args: list[str]) -> tuple[str, float]:
    if len(args) < 2:
        raise GrafanaMacroError(f"macro ${name} needs a time column and an interval")
    return args[0], parse_interval(args[1]).total_seconds()


def _rfc3339(when: datetime) -> str:
    utc = when.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def _epoch_ms(when: datetime) -> int:
    return (when - _EPOCH) // timedelta(milliseconds=1)


def _epoch_s(when: datetime) -> int:
    return (when - _EPOCH) // timedelta(seconds=1)


def _epoch_ns(when: datetime) -> int:
    return ((when - _EPOCH) // timedelta(microseconds=1)) * 1000


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
