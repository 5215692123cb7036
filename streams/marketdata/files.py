"""Historical file connector: CSV / Parquet files of bars or ticks -> event values (pure).

:func:`read_bars` yields ``md.bar`` values, :func:`read_ticks` raw ``md.tick`` values (for
``md.tick.raw``); both are plain generators over a file, so the backtest engine can use
them without a broker. Column names and time formats come from a mapping
(:mod:`.file_mapping`). The format follows the suffix: ``.csv``, ``.csv.gz``, ``.parquet``
or ``.pq``.

Every problem in a row raises :class:`MalformedRowError` naming the 1-based data row (the
header is not counted), the column and the value. Rows must be in time order per
instrument (bars strictly increasing). Prices are rounded to the instrument's tick size,
volumes and sizes to its lot size.

Ids: a bar's id is ``derive_event_id("md.bar", feed, instrument, interval, start_micros)``,
a tick's the raw tick id of (feed, instrument, sequence); ``feed`` defaults to
``file.<name of the file up to its first dot>``. ``ingest_time`` defaults to the event time;
the file feed agent sets it to its clock's time when it publishes.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq  # type: ignore[import-untyped]

from streams.decimals import ZERO, q
from streams.errors import ConfigError
from streams.events import derive_event_id, envelope
from streams.marketdata.errors import MalformedRowError, MarketDataError
from streams.marketdata.file_mapping import SP500_DAILY, BarMapping, TickMapping, TimeColumns
from streams.marketdata.instruments import Instrument, InstrumentRegistry
from streams.marketdata.ticks import BAR_TOPIC, Aggressor, TickSource, quote_tick, trade_tick

_EPOCH_UNITS = {"epoch_s": 1, "epoch_ms": 1_000, "epoch_us": 1_000_000}
_SIDES: dict[str, Aggressor] = {"buy": "BUY", "b": "BUY", "sell": "SELL", "s": "SELL"}


def default_feed(path: Path) -> str:
    """``file.<name up to the first dot>``, e.g. ``file.sp500`` for sp500.csv.gz."""
    return f"file.{path.name.split('.', 1)[0]}"


def read_bars(
    path: Path,
    mapping: BarMapping,
    instruments: InstrumentRegistry,
    *,
    feed: str | None = None,
    agent: str = "file_feed",
) -> Iterator[dict[str, Any]]:
    """Yield one ``md.bar`` value per row of a bar file."""
    feed = feed or default_feed(path)
    interval = timedelta(seconds=mapping.interval_seconds)
    last_start: dict[str, datetime] = {}
    for row_number, row in _rows(path):
        instrument = _instrument(row_number, row, mapping, instruments)
        labelled = _time(row_number, row, mapping)
        start = labelled if mapping.time_label == "open" else labelled - interval
        previous = last_start.get(instrument.symbol)
        if previous is not None and start <= previous:
            raise MalformedRowError(
                row_number, mapping.time, row.get(mapping.time), "not after the previous bar"
            )
        last_start[instrument.symbol] = start
        prices = {
            name: instrument.round_price(_decimal(row_number, row, column, positive=True))
            for name, column in (
                ("open", mapping.open),
                ("high", mapping.high),
                ("low", mapping.low),
                ("close", mapping.close),
            )
        }
        _check_range(row_number, row, mapping, prices)
        volume = (
            ZERO
            if mapping.volume is None
            else instrument.round_size(_decimal(row_number, row, mapping.volume, positive=False))
        )
        end = start + interval
        yield {
            "envelope": envelope(
                event_type=BAR_TOPIC,
                event_id=derive_event_id(
                    BAR_TOPIC, feed, instrument.symbol, mapping.interval_seconds, start
                ),
                event_time=end,
                ingest_time=end,
                agent=agent,
            ),
            "instrument": instrument.symbol,
            "venue": instrument.venue,
            "interval_seconds": mapping.interval_seconds,
            "start": start,
            "end": end,
            **prices,
            "volume": volume,
            "vwap": None,
            "trade_count": 0,
            "revision": 0,
        }


def read_ticks(
    path: Path,
    mapping: TickMapping,
    instruments: InstrumentRegistry,
    *,
    feed: str | None = None,
    agent: str = "file_feed",
) -> Iterator[dict[str, Any]]:
    """Yield one raw ``md.tick`` value per row of a tick file."""
    source = TickSource(agent=agent, feed=feed or default_feed(path))
    counters: dict[str, int] = {}
    last_time: dict[str, datetime] = {}
    for row_number, row in _rows(path):
        instrument = _instrument(row_number, row, mapping, instruments)
        when = _time(row_number, row, mapping)
        previous = last_time.get(instrument.symbol)
        if previous is not None and when < previous:
            raise MalformedRowError(
                row_number, mapping.time, row.get(mapping.time), "earlier than the previous row"
            )
        last_time[instrument.symbol] = when
        sequence = counters.get(instrument.symbol, 0) + 1
        if mapping.sequence is not None:
            sequence = _integer(row_number, row, mapping.sequence)
        counters[instrument.symbol] = sequence
        yield _tick(
            row_number,
            row,
            mapping=mapping,
            instrument=instrument,
            source=source,
            sequence=sequence,
            when=when,
        )


def sp500_daily(instruments: InstrumentRegistry) -> Iterator[dict[str, Any]]:
    """The S&P 500 daily bars shipped with ``arch`` (a dev dependency), as SPX md.bar values."""
    yield from read_bars(sp500_path(), SP500_DAILY, instruments, feed="file.sp500")


def sp500_path() -> Path:
    """Where ``arch`` keeps sp500.csv.gz (located without importing the heavy package)."""
    spec = importlib.util.find_spec("arch")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("arch", "the S&P 500 sample needs the 'arch' package installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "sp500" / "sp500.csv.gz"
    if not path.is_file():
        raise ConfigError("arch", f"no S&P 500 sample at {path}")
    return path


def _tick(
    row_number: int,
    row: dict[str, Any],
    *,
    mapping: TickMapping,
    instrument: Instrument,
    source: TickSource,
    sequence: int,
    when: datetime,
) -> dict[str, Any]:
    kind = mapping.default_kind
    if mapping.kind is not None:
        text = str(row.get(mapping.kind, "")).strip().upper()
        if text not in {"TRADE", "QUOTE"}:
            raise MalformedRowError(
                row_number, mapping.kind, row.get(mapping.kind), "not TRADE/QUOTE"
            )
        kind = "TRADE" if text == "TRADE" else "QUOTE"
    common: dict[str, Any] = {
        "instrument": instrument.symbol,
        "venue": instrument.venue,
        "sequence": sequence,
        "event_time": when,
        "ingest_time": when,
    }
    if kind == "TRADE":
        if mapping.price is None or mapping.size is None:
            raise ConfigError("mapping", "trade rows need 'price' and 'size' columns")
        aggressor: Aggressor = "UNKNOWN"
        if mapping.side is not None:
            side = str(row.get(mapping.side, "")).strip().lower()
            if side not in _SIDES:
                raise MalformedRowError(
                    row_number, mapping.side, row.get(mapping.side), "not buy/sell"
                )
            aggressor = _SIDES[side]
        trade_id = None if mapping.trade_id is None else str(row.get(mapping.trade_id))
        return trade_tick(
            source,
            **common,
            price=instrument.round_price(_decimal(row_number, row, mapping.price, positive=True)),
            size=instrument.round_size(_decimal(row_number, row, mapping.size, positive=True)),
            aggressor=aggressor,
            trade_id=trade_id,
        )
    sides = {
        name: _optional_decimal(row_number, row, column)
        for name, column in (
            ("bid_price", mapping.bid_price),
            ("bid_size", mapping.bid_size),
            ("ask_price", mapping.ask_price),
            ("ask_size", mapping.ask_size),
        )
    }
    if sides["bid_price"] is None and sides["ask_price"] is None:
        column = mapping.bid_price or mapping.ask_price or "bid_price"
        raise MalformedRowError(row_number, column, row.get(column), "a quote needs a bid or ask")
    for name in ("bid_price", "ask_price"):
        value = sides[name]
        sides[name] = None if value is None else instrument.round_price(value)
    for name in ("bid_size", "ask_size"):
        value = sides[name]
        sides[name] = None if value is None else instrument.round_size(value)
    return quote_tick(
        source,
        **common,
        bid_price=sides["bid_price"],
        bid_size=sides["bid_size"],
        ask_price=sides["ask_price"],
        ask_size=sides["ask_size"],
    )


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    name = path.name.lower()
    if not path.is_file():
        raise MarketDataError(f"no such file: {path}")
    if name.endswith((".parquet", ".pq")):
        number = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=65_536):
            for row in batch.to_pylist():
                number += 1
                yield number, row
        return
    if not name.endswith((".csv", ".csv.gz")):
        raise MarketDataError(f"{path}: unknown format (use .csv, .csv.gz, .parquet or .pq)")
    with _open_text(path) as handle:
        for number, row in enumerate(csv.DictReader(handle), start=1):
            yield number, row


def _open_text(path: Path) -> TextIO:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def _instrument(
    row_number: int, row: dict[str, Any], mapping: TimeColumns, instruments: InstrumentRegistry
) -> Instrument:
    if mapping.instrument is None:
        symbol = mapping.default_instrument or ""
        column = "default_instrument"
    else:
        symbol = str(row.get(mapping.instrument) or "").strip()
        column = mapping.instrument
    instrument = instruments.get(symbol)
    if instrument is None:
        raise MalformedRowError(row_number, column, symbol, "unknown instrument")
    return instrument


def _time(row_number: int, row: dict[str, Any], mapping: TimeColumns) -> datetime:
    raw = row.get(mapping.time)
    if raw is None or raw == "":
        raise MalformedRowError(row_number, mapping.time, raw, "missing time")
    zone = ZoneInfo(mapping.timezone)
    try:
        if isinstance(raw, datetime):
            parsed = raw
        elif isinstance(raw, date):
            parsed = datetime.combine(raw, time(), tzinfo=zone)
        elif mapping.time_format in _EPOCH_UNITS:
            micros = Decimal(str(raw)) * 1_000_000 / _EPOCH_UNITS[mapping.time_format]
            return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(micros))
        elif mapping.time_format == "iso8601":
            parsed = datetime.fromisoformat(str(raw).strip())
        else:
            parsed = datetime.strptime(str(raw).strip(), mapping.time_format)  # noqa: DTZ007 (zone applied below)
    except (ValueError, InvalidOperation, OverflowError) as exc:
        raise MalformedRowError(row_number, mapping.time, raw, f"bad time: {exc}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def _decimal(row_number: int, row: dict[str, Any], column: str, *, positive: bool) -> Decimal:
    value = _optional_decimal(row_number, row, column)
    if value is None:
        raise MalformedRowError(row_number, column, row.get(column), "missing value")
    if value < 0 or (positive and value == 0):
        expected = "positive" if positive else "non-negative"
        raise MalformedRowError(row_number, column, row.get(column), f"must be {expected}")
    return value


def _optional_decimal(row_number: int, row: dict[str, Any], column: str | None) -> Decimal | None:
    if column is None:
        return None
    if column not in row:
        raise MalformedRowError(row_number, column, None, "no such column")
    raw = row[column]
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise MalformedRowError(row_number, column, raw, "not a number")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation as exc:
        raise MalformedRowError(row_number, column, raw, "not a number") from exc
    if not value.is_finite():
        raise MalformedRowError(row_number, column, raw, "not a finite number")
    return q(value)


def _integer(row_number: int, row: dict[str, Any], column: str) -> int:
    raw = row.get(column)
    try:
        return int(str(raw).strip())
    except ValueError as exc:
        raise MalformedRowError(row_number, column, raw, "not an integer") from exc


def _check_range(
    row_number: int, row: dict[str, Any], mapping: BarMapping, prices: dict[str, Decimal]
) -> None:
    if prices["high"] < max(prices["open"], prices["close"], prices["low"]):
        raise MalformedRowError(
            row_number, mapping.high, row.get(mapping.high), "below open, close or low"
        )
    if prices["low"] > min(prices["open"], prices["close"]):
        raise MalformedRowError(
            row_number, mapping.low, row.get(mapping.low), "above open or close"
        )
