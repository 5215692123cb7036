"""Column mappings of historical files: which column holds what, and how times are written.

A mapping is a frozen pydantic model, so it can be written in YAML/JSON (the file feed
agent reads one from ``TAPEWIRE_FILE_FEED_MAPPING``) or built in Python.

Times (``time`` column):

* ``time_format``: ``iso8601`` (``2024-01-02``, ``2024-01-02T14:30:00.5+00:00``, ``...Z``),
  ``epoch_s`` / ``epoch_ms`` / ``epoch_us`` (integers or decimals since the Unix epoch), or
  any :func:`datetime.strptime` pattern containing ``%`` (e.g. ``%m/%d/%Y``);
* ``timezone``: IANA name applied to times that carry no offset (epoch times are UTC);
  a date without a time means midnight in that timezone.

Bars: ``time_label`` says whether a row's time is the bar's **open** (start) or its
**close** (end); the other bound is ``interval_seconds`` away. Daily files label each row
with the trading date: use ``time_label: open`` with the exchange's timezone, so the bar
covers that local calendar day, ``start`` = local midnight, ``end`` = ``start`` + 24 h and
``event_time`` = ``end`` (a daily bar is known once its day is over).
"""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class TimeColumns(BaseModel):
    """Where the time is and how it is written; which instrument a row belongs to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time: str = Field(default="time", description="column holding the row's time")
    time_format: str = Field(
        default="iso8601",
        description="iso8601 | epoch_s | epoch_ms | epoch_us | a strptime pattern",
    )
    timezone: str = Field(default="UTC", description="IANA timezone of times without an offset")
    instrument: str | None = Field(default=None, description="column holding the instrument symbol")
    default_instrument: str | None = Field(
        default=None, description="symbol for every row when there is no instrument column"
    )

    @field_validator("time_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value not in {"iso8601", "epoch_s", "epoch_ms", "epoch_us"} and "%" not in value:
            raise ValueError("use iso8601, epoch_s, epoch_ms, epoch_us or a strptime pattern")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _one_instrument_source(self) -> TimeColumns:
        if (self.instrument is None) == (self.default_instrument is None):
            raise ValueError("set exactly one of 'instrument' (a column) or 'default_instrument'")
        return self


class BarMapping(TimeColumns):
    """Columns of an OHLCV bar file."""

    open: str = "open"
    high: str = "high"
    low: str = "low"
    close: str = "close"
    volume: str | None = Field(default="volume", description="None: volume 0 on every bar")
    interval_seconds: int = Field(default=86_400, gt=0, description="bar length")
    time_label: Literal["open", "close"] = Field(
        default="open", description="row time = bar start/end"
    )


class TickMapping(TimeColumns):
    """Columns of a tick file (trades and/or quotes)."""

    kind: str | None = Field(
        default=None, description="column with TRADE/QUOTE; None = default_kind"
    )
    default_kind: Literal["TRADE", "QUOTE"] = "TRADE"
    price: str | None = "price"
    size: str | None = "size"
    side: str | None = Field(default=None, description="aggressor column: buy/sell/b/s (any case)")
    trade_id: str | None = None
    bid_price: str | None = None
    bid_size: str | None = None
    ask_price: str | None = None
    ask_size: str | None = None
    sequence: str | None = Field(default=None, description="None: 1, 2, 3... per instrument")


SP500_DAILY = BarMapping(
    time="Date",
    time_format="%m/%d/%Y",
    timezone="America/New_York",
    default_instrument="SPX",
    open="Open",
    high="High",
    low="Low",
    close="Close",
    volume="Volume",
    interval_seconds=86_400,
    time_label="open",
)
"""The S&P 500 daily file shipped with ``arch`` (arch/data/sp500/sp500.csv.gz).

Columns Date (``M/D/YYYY``, a New York trading date), Open, High, Low, Close, Adj Close
(ignored) and Volume; each row is the bar of that New York calendar day."""
