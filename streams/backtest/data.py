"""Backtest input: which columns a bar file has, the time window, and the source records.

Column detection (when no ``--mapping`` is given) reads the header and the first rows:

* the time column is the first of ``time``, ``timestamp``, ``datetime``, ``date``, ``ts``,
  ``open_time`` (case-insensitive); prices are ``open``, ``high``, ``low``, ``close``;
  ``volume`` is optional (volume 0 = unlimited fills);
* the arch S&P 500 file's header ``Date,Open,High,Low,Close,Adj Close,Volume`` selects the
  S&P 500 mapping (New York trading dates);
* times: ``M/D/YYYY`` dates, ISO-8601 dates or times, or epoch numbers (seconds,
  milliseconds or microseconds by magnitude). Dates without a time are daily bars labelled
  by their day (start = local midnight, event time = the next midnight); intraday rows are
  labelled by their bar's start and the interval is the smallest spacing among the first
  rows. Times without an offset are in ``timezone`` (New York for the S&P 500 layout, else
  UTC unless given).

The window keeps bars whose event time (their end) is in ``(start, end]``; a date alone
means midnight of that date in the data's timezone for ``--from`` and midnight after that
date for ``--to``, so ``--from 2010-01-04 --to 2010-12-31`` keeps the bars of those days.
"""

from __future__ import annotations

import csv
import gzip
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import yaml
from pydantic import ValidationError

from streams.errors import ConfigError
from streams.marketdata.file_mapping import SP500_DAILY, BarMapping, TickMapping, TimeColumns
from streams.marketdata.files import read_bars
from streams.marketdata.instruments import InstrumentRegistry
from streams.marketdata.ticks import BAR_TOPIC
from streams.runtime.processor import Record

TIME_COLUMNS: Final = ("time", "timestamp", "datetime", "date", "ts", "open_time")
SP500_HEADER: Final = ("date", "open", "high", "low", "close", "adj close", "volume")
SAMPLE_ROWS: Final = 100
BAR_PRICE_FIELDS: Final = frozenset({"open", "high", "low", "close"})
TICK_ONLY_FIELDS: Final = frozenset(TickMapping.model_fields) - frozenset(TimeColumns.model_fields)
_US_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


@dataclass(frozen=True, slots=True)
class Window:
    """Bars with ``start < event_time <= end`` (either bound may be open)."""

    start: datetime | None = None
    end: datetime | None = None

    def keeps(self, when: datetime) -> bool:
        return (self.start is None or when > self.start) and (self.end is None or when <= self.end)


def sample(path: Path, rows: int = SAMPLE_ROWS) -> tuple[list[str], list[dict[str, Any]]]:
    """The column names and the first ``rows`` rows of a CSV, CSV.gz or Parquet file."""
    name = path.name.lower()
    if not path.is_file():
        raise ConfigError("--data", f"no such file: {path}")
    if name.endswith((".parquet", ".pq")):
        try:
            table = pq.ParquetFile(path)
            columns = [str(c) for c in table.schema_arrow.names]
            first = next(table.iter_batches(batch_size=rows), None)
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            raise ConfigError("--data", f"cannot read {path}: {exc}") from exc
        return columns, [] if first is None else cast(list[dict[str, Any]], first.to_pylist())
    if not name.endswith((".csv", ".csv.gz")):
        raise ConfigError("--data", f"{path}: unknown format (use .csv, .csv.gz or .parquet)")
    opener = gzip.open if name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            taken = list(itertools.islice(reader, rows))
            columns = list(reader.fieldnames or [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError("--data", f"cannot read {path}: {exc}") from exc
    return columns, [dict(r) for r in taken]


def count_rows(path: Path) -> int:
    """Data rows in a file (for the progress bar): Parquet metadata, or CSV lines - header."""
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        return int(pq.ParquetFile(path).metadata.num_rows)
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    return max(lines - 1, 0)


def zone(name: str, option: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(option, f"unknown timezone {name!r}") from exc
    return name


def detect_mapping(path: Path, instrument: str, timezone: str | None = None) -> BarMapping:
    """A bar mapping for ``path`` from its header and first rows; ConfigError if unsure."""
    columns, rows = sample(path)
    lower = {c.strip().lower(): c for c in columns}
    header = tuple(c.strip().lower() for c in columns)
    if header == SP500_HEADER and rows and _US_DATE.match(str(rows[0][columns[0]]).strip()):
        update: dict[str, Any] = {"default_instrument": instrument}
        if timezone is not None:
            update["timezone"] = zone(timezone, "--timezone")
        return SP500_DAILY.model_copy(update=update)
    time_column = next((lower[c] for c in TIME_COLUMNS if c in lower), None)
    if time_column is None:
        raise ConfigError(
            "--data", f"no time column among {list(TIME_COLUMNS)} in {columns}; use --mapping"
        )
    prices = {}
    for name in ("open", "high", "low", "close"):
        if name not in lower:
            raise ConfigError("--data", f"no {name!r} column in {columns}; use --mapping")
        prices[name] = lower[name]
    if len(rows) < 2:
        raise ConfigError("--data", f"{path} has fewer than 2 rows to detect its layout")
    found_format, times = time_format([r[time_column] for r in rows])
    found_zone = zone(timezone or "UTC", "--timezone")
    daily = all(isinstance(t, date) and not isinstance(t, datetime) for t in times)
    if daily:
        interval = 86_400
    else:
        spacing = sorted({int((b - a).total_seconds()) for a, b in itertools.pairwise(times)})
        positive = [s for s in spacing if s > 0]
        if not positive:
            raise ConfigError("--data", f"cannot tell the bar interval of {path}; use --mapping")
        interval = positive[0]
    return BarMapping(
        time=time_column,
        time_format=found_format,
        timezone=found_zone,
        default_instrument=instrument,
        volume=lower.get("volume"),
        interval_seconds=interval,
        time_label="open",
        **prices,
    )


def time_format(values: list[Any]) -> tuple[str, list[date | datetime]]:
    """The mapping's time format and the parsed sample (dates stay dates)."""
    texts = [str(v).strip() for v in values]
    if all(isinstance(v, datetime) for v in values):
        return "iso8601", list(values)
    if all(isinstance(v, date) for v in values):
        return "iso8601", list(values)
    if all(_US_DATE.match(t) for t in texts):
        return "%m/%d/%Y", [datetime.strptime(t, "%m/%d/%Y").date() for t in texts]  # noqa: DTZ007
    if all(_NUMBER.match(t) for t in texts):
        unit, scale = _epoch_unit(max(float(t) for t in texts))
        return unit, [datetime.fromtimestamp(float(t) / scale, tz=UTC) for t in texts]
    if all(_ISO_DATE.match(t) for t in texts):
        return "iso8601", [date.fromisoformat(t) for t in texts]
    try:
        return "iso8601", [datetime.fromisoformat(t) for t in texts]
    except ValueError as exc:
        raise ConfigError("--data", f"unrecognised time values {texts[:2]}; use --mapping") from exc


def _epoch_unit(magnitude: float) -> tuple[str, float]:
    """Seconds, milliseconds or microseconds since the epoch, by the size of the numbers."""
    if magnitude > 1e14:
        return "epoch_us", 1e6
    if magnitude > 1e11:
        return "epoch_ms", 1e3
    return "epoch_s", 1.0


def load_mapping(path: Path, instrument: str) -> BarMapping | TickMapping:
    """A ``--mapping`` YAML of BarMapping fields, or of TickMapping fields (when it names a
    tick-only field such as ``price``, ``size``, ``bid_price`` or ``kind``).

    ``default_instrument`` defaults to ``instrument`` when there is no instrument column.
    """
    if not path.is_file():
        raise ConfigError("--mapping", f"no such file: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError("--mapping", f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError("mapping", "the mapping file must hold a mapping of column fields")
    fields = cast(dict[str, Any], data)
    if fields.get("instrument") is None:
        fields.setdefault("default_instrument", instrument)
    model: type[BarMapping] | type[TickMapping] = (
        TickMapping if set(fields) & TICK_ONLY_FIELDS else BarMapping
    )
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "mapping"
        raise ConfigError(f"mapping.{where}", str(first["msg"])) from exc


def parse_bound(text: str, option: str, timezone: str, *, end_of_day: bool) -> datetime:
    """``--from``/``--to``: an ISO date (midnight in ``timezone``) or an ISO date-time."""
    value = text.strip()
    try:
        if _ISO_DATE.match(value):
            day = date.fromisoformat(value) + timedelta(days=1 if end_of_day else 0)
            return datetime.combine(day, time(), tzinfo=ZoneInfo(timezone)).astimezone(UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(option, f"not an ISO date or date-time: {text!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
    return parsed.astimezone(UTC)


def window(start: str | None, end: str | None, timezone: str) -> Window:
    """The ``--from``/``--to`` window; ConfigError when it is empty."""
    low = None if start is None else parse_bound(start, "--from", timezone, end_of_day=False)
    high = None if end is None else parse_bound(end, "--to", timezone, end_of_day=True)
    if low is not None and high is not None and high <= low:
        raise ConfigError("--to", f"must be after --from ({start} .. {end} is empty)")
    return Window(low, high)


def bar_records(
    path: Path,
    mapping: BarMapping,
    instruments: InstrumentRegistry,
    selected: Window | None = None,
    on_row: Callable[[], None] | None = None,
) -> Iterator[Record]:
    """``md.bar`` records of a bar file within the window, in file order.

    ``on_row`` is called for every row read, kept or not (progress reporting).
    """
    offsets = itertools.count()
    for value in read_bars(path, mapping, instruments):
        if on_row is not None:
            on_row()
        if selected is None or selected.keeps(value["envelope"]["event_time"]):
            yield Record(BAR_TOPIC, str(value["instrument"]), value, offset=next(offsets))
