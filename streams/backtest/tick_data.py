"""Tick files for the backtest: which columns hold a trade, and the ``md.tick.raw`` records.

A tick file has a time column (as for bars: ``time``, ``timestamp``, ...), a ``price`` column
and a size column (``size``, ``qty``, ``quantity``, ``amount`` or ``volume``), optionally a
``side`` (buy/sell, the aggressor); every row is a TRADE. Other layouts (quotes, a kind
column): ``--mapping`` with the fields of :class:`~streams.marketdata.file_mapping.TickMapping`.
The records go through the live tick normalizer and bar aggregator, so strategies see the
same bars as live (docs/backtest.md).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

from streams.backtest.data import BAR_PRICE_FIELDS, TIME_COLUMNS, Window, sample, time_format, zone
from streams.errors import ConfigError
from streams.marketdata.file_mapping import TickMapping
from streams.marketdata.files import read_ticks
from streams.marketdata.instruments import InstrumentRegistry
from streams.marketdata.ticks import TICK_RAW_TOPIC
from streams.runtime.processor import Record

SIZE_COLUMNS: Final = ("size", "qty", "quantity", "amount", "volume")


def looks_like_ticks(columns: list[str]) -> bool:
    """True for a header with a ``price`` column and no OHLC columns."""
    lower = {c.strip().lower() for c in columns}
    return "price" in lower and not (lower & BAR_PRICE_FIELDS)


def detect_tick_mapping(path: Path, instrument: str, timezone: str | None = None) -> TickMapping:
    """A TRADE tick mapping for ``path`` from its header and first rows."""
    columns, rows = sample(path)
    lower = {c.strip().lower(): c for c in columns}
    time_column = next((lower[c] for c in TIME_COLUMNS if c in lower), None)
    size_column = next((lower[c] for c in SIZE_COLUMNS if c in lower), None)
    if time_column is None or "price" not in lower or size_column is None:
        raise ConfigError(
            "--data",
            f"a tick file needs a time, a 'price' and a size column {list(SIZE_COLUMNS)}; "
            f"found {columns}; use --mapping",
        )
    if not rows:
        raise ConfigError("--data", f"{path} has no rows")
    found_format, _ = time_format([r[time_column] for r in rows])
    return TickMapping(
        time=time_column,
        time_format=found_format,
        timezone=zone(timezone or "UTC", "--timezone"),
        default_instrument=instrument,
        default_kind="TRADE",
        price=lower["price"],
        size=size_column,
        side=lower.get("side"),
    )


def tick_records(
    path: Path,
    mapping: TickMapping,
    instruments: InstrumentRegistry,
    selected: Window | None = None,
    on_row: Callable[[], None] | None = None,
) -> Iterator[Record]:
    """``md.tick.raw`` records of a tick file within the window, in file order."""
    offsets = itertools.count()
    for value in read_ticks(path, mapping, instruments):
        if on_row is not None:
            on_row()
        if selected is None or selected.keeps(value["envelope"]["event_time"]):
            yield Record(TICK_RAW_TOPIC, str(value["instrument"]), value, offset=next(offsets))
