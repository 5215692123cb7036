"""Indicators over a CSV of bars: read ``time,open,high,low,close,volume``, write one column
per indicator output. Pure: works on text streams the caller opens.

Input rules (every violation raises :class:`~streams.indicators.errors.BarFileError` with the
row number, counting the header as row 1, the column and the offending value):

* the header names the columns, in any order and case; the six above are required, others
  are ignored;
* ``time`` is ISO 8601 (``1999-01-04``, ``2024-05-01T13:30:00Z``); a time without an offset
  is UTC; times must strictly increase;
* prices and volume are decimal numbers (finite), ``low <= high`` and ``volume >= 0``.

Output: a header ``time,<column>...`` (e.g. ``macd_12_26_9_signal``), then one row per bar
with the time as written in the input and each value as Python's shortest round-trip
``repr`` of the float (full precision); an output still warming up is an empty cell.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, TextIO

from streams.indicators.base import BarInput
from streams.indicators.errors import BarFileError
from streams.indicators.registry import IndicatorSpec, create

REQUIRED_COLUMNS: Final = ("time", "open", "high", "low", "close", "volume")
_PRICE_COLUMNS: Final = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True, slots=True)
class CsvBar:
    """One bar of the file: its row number, its time as written, and the parsed values."""

    row: int
    time_text: str
    bar: BarInput


def read_bars(lines: Iterable[str]) -> Iterator[CsvBar]:
    """Parse bars lazily from CSV text lines (e.g. an open file)."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise BarFileError(1, "time", f"empty file: expected a header {','.join(REQUIRED_COLUMNS)}")
    names = [name.strip().lower() for name in header]
    index = _column_index(names)
    previous: datetime | None = None
    for row in reader:
        if not row or all(not cell.strip() for cell in row):
            continue
        number = reader.line_num
        if len(row) != len(names):
            column = names[len(row)] if len(row) < len(names) else f"#{len(names) + 1}"
            raise BarFileError(
                number, column, f"expected {len(names)} fields, got {len(row)}: {row!r}"
            )
        time_text = row[index["time"]].strip()
        when = _parse_time(number, time_text)
        if previous is not None and when <= previous:
            raise BarFileError(
                number, "time", f"{time_text!r} is not after the previous row's time"
            )
        previous = when
        open_, high, low, close, volume = (
            _parse_number(number, column, row[index[column]]) for column in _PRICE_COLUMNS
        )
        if low > high:
            raise BarFileError(number, "low", f"{row[index['low']]!r} is above high {high!r}")
        if volume < 0:
            raise BarFileError(number, "volume", f"{row[index['volume']]!r} is negative")
        yield CsvBar(number, time_text, BarInput(when, open_, high, low, close, volume))


def write_indicators(out: TextIO, bars: Iterable[CsvBar], specs: Sequence[IndicatorSpec]) -> int:
    """Run one fresh indicator per spec over the bars and write the table; returns the rows."""
    indicators = [(spec, create(spec)) for spec in specs]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["time", *(column for spec in specs for column in spec.columns)])
    rows = 0
    for item in bars:
        cells = [item.time_text]
        for spec, indicator in indicators:
            values = indicator.update(item.bar)
            cells.extend(format_value(values[output]) for output in spec.outputs)
        writer.writerow(cells)
        rows += 1
    return rows


def format_value(value: float | None) -> str:
    """Empty for ``None``, else the shortest text that reads back as the same float."""
    return "" if value is None else repr(value)


def _column_index(names: list[str]) -> dict[str, int]:
    seen: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in seen and name in REQUIRED_COLUMNS:
            raise BarFileError(1, name, f"column {name!r} appears twice in the header")
        seen.setdefault(name, position)
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    if missing:
        raise BarFileError(
            1,
            missing[0],
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(header: {','.join(names)})",
        )
    return {name: seen[name] for name in REQUIRED_COLUMNS}


def _parse_time(row: int, text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BarFileError(row, "time", f"not an ISO 8601 time: {text!r}") from exc
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _parse_number(row: int, column: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise BarFileError(row, column, f"not a number: {text!r}") from exc
    if not math.isfinite(value):
        raise BarFileError(row, column, f"not a finite number: {text!r}")
    return value
