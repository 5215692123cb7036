"""Tick normalisation and bar aggregation, ticks per second, against bare-Python loops.

Both processors run over the same seeded synthetic ticks (trades and quotes, three
instruments) through their public ``process_batch``, a fresh instance per pass. Baselines,
measured alternately in the same run:

* normaliser: a loop that does the unavoidable per-tick work and nothing else: look up the
  instrument, round price and size to its increments, compare the sequence with the last
  one, copy the dict. The ratio shows what validation, gap tracking and derived ids cost;
* bar aggregation: a loop that updates open/high/low/close/volume/notional per (instrument,
  interval, bucket) from the trades. The ratio shows what the bar policy (closing, late
  ticks, envelopes, outputs) costs.

Ratios are subject / baseline (higher is better); nothing is asserted on time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from itertools import islice

from streams.clock import to_micros
from streams.decimals import round_to_increment
from streams.marketdata.bars import BarAggregator, BarOptions
from streams.marketdata.instruments import InstrumentRegistry, load_instruments
from streams.marketdata.normalizer import TickNormalizer
from streams.marketdata.synthetic import SyntheticFeed, SyntheticParameters
from streams.runtime.processor import Record

from benchmarks.common import Result, paired_ops_per_second

TICKS = 20_000
REPEATS = 5
INTERVALS = (1, 60)


def _raw_records(instruments: InstrumentRegistry) -> list[Record]:
    parameters = SyntheticParameters(
        seed=3, start=datetime(2024, 1, 2, 14, 30, tzinfo=UTC), events_per_second=500.0
    )
    feed = SyntheticFeed(parameters, [instruments[s] for s in ("AAPL", "MSFT", "BTC-USD")])
    return [
        Record(topic="md.tick.raw", key=v["instrument"], value=v, offset=i)
        for i, v in enumerate(islice(feed, TICKS))
    ]


def _normalise(instruments: InstrumentRegistry, records: list[Record]) -> None:
    TickNormalizer(instruments).process_batch(records)


def _normalise_baseline(instruments: InstrumentRegistry, records: list[Record]) -> None:
    last: dict[tuple[str, str], int] = {}
    for record in records:
        raw = record.value
        instrument = instruments[raw["instrument"]]
        tick = dict(raw)
        if raw["kind"] == "TRADE":
            tick["price"] = round_to_increment(raw["price"], instrument.tick_size)
            tick["size"] = round_to_increment(raw["size"], instrument.lot_size)
        else:
            tick["bid_price"] = round_to_increment(raw["bid_price"], instrument.tick_size)
            tick["ask_price"] = round_to_increment(raw["ask_price"], instrument.tick_size)
        key = (raw["feed"], raw["instrument"])
        if raw["sequence"] <= last.get(key, -1):
            continue
        last[key] = raw["sequence"]


def _aggregate(records: list[Record]) -> None:
    BarAggregator(BarOptions(intervals=INTERVALS)).process_batch(records)


def _aggregate_baseline(records: list[Record]) -> None:
    bars: dict[tuple[str, int, int], list[Decimal]] = {}
    for record in records:
        tick = record.value
        if tick["kind"] != "TRADE":
            continue
        micros = to_micros(tick["envelope"]["event_time"])
        price, size = tick["price"], tick["size"]
        for interval in INTERVALS:
            key = (tick["instrument"], interval, micros // (interval * 1_000_000))
            bar = bars.get(key)
            if bar is None:
                bars[key] = [price, price, price, price, size, price * size]
            else:
                bar[1] = max(bar[1], price)
                bar[2] = min(bar[2], price)
                bar[3] = price
                bar[4] += size
                bar[5] += price * size


def _normalised(records: list[Record], instruments: InstrumentRegistry) -> list[Record]:
    outputs = TickNormalizer(instruments).process_batch(records)
    return [
        Record(topic="md.tick", key=o.key, value=o.value) for o in outputs if o.topic == "md.tick"
    ]


def run() -> list[Result]:
    instruments = load_instruments()
    raw = _raw_records(instruments)
    normalised = _normalised(raw, instruments)
    results: list[Result] = []
    ops, base = paired_ops_per_second(
        partial(_normalise, instruments, raw),
        partial(_normalise_baseline, instruments, raw),
        1,
        repeats=REPEATS,
    )
    results.append(_result("tick normaliser", ops, base, len(raw), "round + sequence-check loop"))
    ops, base = paired_ops_per_second(
        partial(_aggregate, normalised),
        partial(_aggregate_baseline, normalised),
        1,
        repeats=REPEATS,
    )
    results.append(
        _result(
            f"bar aggregator {list(INTERVALS)} s",
            ops,
            base,
            len(normalised),
            "OHLCV-per-bucket loop",
        )
    )
    return results


def _result(name: str, ops: float, base: float, ticks: int, what: str) -> Result:
    return Result(
        name,
        ops * ticks,
        "ticks/s",
        base * ticks,
        ops / base,
        f"throughput vs bare-Python {what} (higher is better)",
    )
