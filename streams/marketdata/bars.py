"""BarAggregator: TRADE ticks (md.tick) -> OHLCV time bars (md.bar), per instrument.

Policy (docs/market-data.md has the long form):

* **Intervals.** One bar series per (instrument, interval) for every configured interval
  (seconds). Bars cover ``[start, end)``, ``start`` aligned to the Unix epoch in UTC
  (``start = floor(t / interval) * interval``); a tick exactly at a boundary belongs to the
  next bar. Only TRADE ticks count; quotes are ignored.
* **Closing.** A bar is emitted (revision 0, ``event_time = end``) when a trade for the
  same instrument arrives at or after its end (event time), or from :meth:`on_timer` when
  the host clock is at least ``allowed_lateness`` past its end *and* no trade for that
  instrument arrived since the previous timer call (so a fast replay of history is never
  cut by the wall clock; a quiet instrument is).
* **Late ticks.** The watermark of an instrument is the latest trade event time seen. A
  trade for an already-closed interval whose ``end + late_grace > watermark`` is accepted:
  it updates the emitted bar and a corrected bar is emitted with ``revision + 1`` (same
  start, new id), or, if the interval had no bar, its first bar is emitted (revision 0).
  Older trades are dropped and counted in :attr:`late_ticks_dropped`. Closed bars are
  forgotten once ``end + late_grace <= watermark`` (bounded memory).
* **Empty intervals** emit no bar.
* **Ids.** ``derive_event_id("md.bar", instrument, interval, start_micros, revision)``;
  ``ingest_time`` is that of the latest trade in the bar and ``causation_id`` its id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Final

from streams.clock import from_micros, to_micros
from streams.decimals import DECIMAL_SCHEMA, ZERO, q
from streams.events import derive_event_id, envelope
from streams.marketdata.errors import MalformedTickError
from streams.marketdata.ticks import BAR_TOPIC, TICK_TOPIC
from streams.runtime.processor import Output, Processor, Record

_BAR_STATE: Final[dict[str, Any]] = {
    "type": "record",
    "name": "BarState",
    "fields": [
        {"name": "instrument", "type": "string"},
        {"name": "venue", "type": "string"},
        {"name": "interval_seconds", "type": "int"},
        {"name": "start", "type": "long", "doc": "micros since the epoch"},
        {"name": "open", "type": DECIMAL_SCHEMA},
        {"name": "high", "type": DECIMAL_SCHEMA},
        {"name": "low", "type": DECIMAL_SCHEMA},
        {"name": "close", "type": DECIMAL_SCHEMA},
        {"name": "volume", "type": DECIMAL_SCHEMA},
        {"name": "notional", "type": DECIMAL_SCHEMA},
        {"name": "trade_count", "type": "long"},
        {"name": "revision", "type": "int"},
        {"name": "closed", "type": "boolean"},
        {"name": "last_event_id", "type": "string"},
        {"name": "last_ingest", "type": "long", "doc": "micros since the epoch"},
    ],
}
STATE_SCHEMA: Final[dict[str, Any]] = {
    "type": "record",
    "name": "BarAggregatorState",
    "namespace": "tapewire.state",
    "fields": [
        {"name": "watermarks", "type": {"type": "map", "values": "long"}},
        {"name": "bars", "type": {"type": "array", "items": _BAR_STATE}},
        {"name": "bars_emitted", "type": "long"},
        {"name": "revisions_emitted", "type": "long"},
        {"name": "late_ticks_dropped", "type": "long"},
    ],
}
_MICROS: Final = 1_000_000


@dataclass(frozen=True, slots=True)
class BarOptions:
    """Intervals (seconds) and the lateness policy."""

    intervals: tuple[int, ...] = (1, 60)
    allowed_lateness: timedelta = timedelta(seconds=2)
    late_grace: timedelta = timedelta(seconds=10)

    def __post_init__(self) -> None:
        if not self.intervals or any(i <= 0 for i in self.intervals):
            raise ValueError(f"bar intervals must be positive seconds, got {self.intervals}")
        if len(set(self.intervals)) != len(self.intervals):
            raise ValueError(f"bar intervals must be distinct, got {self.intervals}")
        if self.allowed_lateness < timedelta(0) or self.late_grace < timedelta(0):
            raise ValueError("allowed_lateness and late_grace must not be negative")


@dataclass(slots=True)
class _Bar:
    instrument: str
    venue: str
    interval_seconds: int
    start: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    notional: Decimal
    trade_count: int
    revision: int
    closed: bool
    last_event_id: str
    last_ingest: int

    @property
    def end(self) -> int:
        return self.start + self.interval_seconds * _MICROS

    def add(self, price: Decimal, size: Decimal, event_id: str, ingest: int) -> None:
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.close = price
        self.volume = q(self.volume + size)
        self.notional = q(self.notional + price * size)
        self.trade_count += 1
        self.last_event_id = event_id
        self.last_ingest = max(self.last_ingest, ingest)


class BarAggregator(Processor):
    """Time bars from trade ticks; see the module docstring for the policy."""

    name: ClassVar[str] = "bar_aggregator"
    inputs: ClassVar[tuple[str, ...]] = (TICK_TOPIC,)
    outputs: ClassVar[tuple[str, ...]] = (BAR_TOPIC,)
    state_schema: ClassVar[dict[str, Any] | None] = STATE_SCHEMA

    def __init__(self, options: BarOptions | None = None) -> None:
        self._options = options or BarOptions()
        self._grace = _to_micros(self._options.late_grace)
        self._lateness = self._options.allowed_lateness
        self._watermarks: dict[str, int] = {}
        self._open: dict[tuple[str, int], _Bar] = {}
        self._closed: dict[tuple[str, int], dict[int, _Bar]] = {}
        self._touched: set[str] = set()
        self.bars_emitted = 0
        self.revisions_emitted = 0
        self.late_ticks_dropped = 0

    def process(self, record: Record) -> list[Output]:
        tick = record.value
        if tick.get("kind") != "TRADE":
            return []
        price, size = tick.get("price"), tick.get("size")
        if not isinstance(price, Decimal) or not isinstance(size, Decimal):
            raise MalformedTickError("a TRADE tick needs a price and a size")
        symbol = str(tick["instrument"])
        env = tick["envelope"]
        at = to_micros(env["event_time"])
        watermark = max(self._watermarks.get(symbol, at), at)
        self._watermarks[symbol] = watermark
        self._touched.add(symbol)
        outputs: list[Output] = []
        for interval in self._options.intervals:
            start = at - at % (interval * _MICROS)
            key = (symbol, interval)
            bar = self._open.get(key)
            closed = self._closed.setdefault(key, {})
            latest_closed = max(closed, default=None)
            if bar is not None and bar.start == start:
                bar.add(price, size, env["event_id"], to_micros(env["ingest_time"]))
                continue
            if (bar is None or start > bar.start) and (
                latest_closed is None or start > latest_closed
            ):
                if bar is not None:
                    outputs.append(self._close(bar))
                self._open[key] = self._new_bar(tick, interval, start)
            else:
                outputs.extend(self._late(tick, interval, start, watermark))
            self._evict(key, watermark)
        return outputs

    def on_timer(self, now: datetime) -> list[Output]:
        deadline = to_micros(now - self._lateness)
        outputs: list[Output] = []
        for key in sorted(self._open):
            bar = self._open[key]
            if bar.instrument not in self._touched and bar.end <= deadline:
                outputs.append(self._close(bar))
        self._touched.clear()
        return outputs

    def _new_bar(self, tick: dict[str, Any], interval: int, start: int) -> _Bar:
        env = tick["envelope"]
        price, size = tick["price"], tick["size"]
        return _Bar(
            instrument=str(tick["instrument"]),
            venue=str(tick["venue"]),
            interval_seconds=interval,
            start=start,
            open=price,
            high=price,
            low=price,
            close=price,
            volume=q(size),
            notional=q(price * size),
            trade_count=1,
            revision=0,
            closed=False,
            last_event_id=str(env["event_id"]),
            last_ingest=to_micros(env["ingest_time"]),
        )

    def _close(self, bar: _Bar) -> Output:
        key = (bar.instrument, bar.interval_seconds)
        del self._open[key]
        bar.closed = True
        self._closed.setdefault(key, {})[bar.start] = bar
        self.bars_emitted += 1
        return self._emit(bar)

    def _late(
        self, tick: dict[str, Any], interval: int, start: int, watermark: int
    ) -> list[Output]:
        end = start + interval * _MICROS
        if end + self._grace <= watermark:
            self.late_ticks_dropped += 1
            return []
        key = (str(tick["instrument"]), interval)
        closed = self._closed.setdefault(key, {})
        bar = closed.get(start)
        if bar is None:
            bar = self._new_bar(tick, interval, start)
            bar.closed = True
            closed[start] = bar
            self.bars_emitted += 1
            return [self._emit(bar)]
        env = tick["envelope"]
        bar.add(tick["price"], tick["size"], env["event_id"], to_micros(env["ingest_time"]))
        bar.revision += 1
        self.revisions_emitted += 1
        return [self._emit(bar)]

    def _evict(self, key: tuple[str, int], watermark: int) -> None:
        closed = self._closed[key]
        for start in [s for s, bar in closed.items() if bar.end + self._grace <= watermark]:
            del closed[start]

    def _emit(self, bar: _Bar) -> Output:
        end = from_micros(bar.end)
        value = {
            "envelope": envelope(
                event_type=BAR_TOPIC,
                event_id=derive_event_id(
                    BAR_TOPIC, bar.instrument, bar.interval_seconds, bar.start, bar.revision
                ),
                event_time=end,
                ingest_time=from_micros(bar.last_ingest),
                agent=self.name,
                causation_id=bar.last_event_id,
            ),
            "instrument": bar.instrument,
            "venue": bar.venue,
            "interval_seconds": bar.interval_seconds,
            "start": from_micros(bar.start),
            "end": end,
            "open": bar.open,
            "high": bar.high,
            "low": bar.low,
            "close": bar.close,
            "volume": bar.volume,
            "vwap": q(bar.notional / bar.volume) if bar.volume > ZERO else None,
            "trade_count": bar.trade_count,
            "revision": bar.revision,
        }
        return Output(topic=BAR_TOPIC, key=bar.instrument, value=value)

    def counters(self) -> dict[str, int]:
        """Totals a host or test can export as metrics (also kept in the snapshot)."""
        return {
            "bars_emitted": self.bars_emitted,
            "revisions_emitted": self.revisions_emitted,
            "late_ticks_dropped": self.late_ticks_dropped,
        }

    def snapshot(self) -> dict[str, Any]:
        bars = list(self._open.values())
        for closed in self._closed.values():
            bars.extend(closed.values())
        bars.sort(key=lambda b: (b.instrument, b.interval_seconds, b.start))
        return {
            "watermarks": dict(self._watermarks),
            "bars": [_bar_record(bar) for bar in bars],
            "bars_emitted": self.bars_emitted,
            "revisions_emitted": self.revisions_emitted,
            "late_ticks_dropped": self.late_ticks_dropped,
        }

    def restore(self, state: dict[str, Any]) -> None:
        self._watermarks = {k: int(v) for k, v in state["watermarks"].items()}
        self._open = {}
        self._closed = {}
        self._touched = set()
        for entry in state["bars"]:
            bar = _Bar(**{**entry, **{f: q(entry[f]) for f in _DECIMAL_FIELDS}})
            key = (bar.instrument, bar.interval_seconds)
            if bar.closed:
                self._closed.setdefault(key, {})[bar.start] = bar
            else:
                self._open[key] = bar
        self.bars_emitted = int(state["bars_emitted"])
        self.revisions_emitted = int(state["revisions_emitted"])
        self.late_ticks_dropped = int(state["late_ticks_dropped"])


_DECIMAL_FIELDS: Final[Sequence[str]] = ("open", "high", "low", "close", "volume", "notional")


def _bar_record(bar: _Bar) -> dict[str, Any]:
    return {field["name"]: getattr(bar, field["name"]) for field in _BAR_STATE["fields"]}


def _to_micros(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * _MICROS + delta.microseconds
