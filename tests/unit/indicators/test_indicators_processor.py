"""IndicatorProcessor: md.bar -> indicator.value, driven through the broker-free harness
(which encodes every output with the Avro codec and round-trips the state through Avro)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from streams.decimals import q
from streams.errors import ProcessingError
from streams.events import derive_event_id, envelope
from streams.indicators import BarInput, create
from streams.indicators.errors import IndicatorStateError
from streams.indicators.processor import IndicatorProcessor
from streams.runtime.harness import Harness, run_processor
from streams.runtime.processor import Record
from tests.unit.indicators.indicator_data import Ohlcv

SPECS = ("ema:20", "rsi:14", "macd:12:26:9", "bbands:20:2", "adx:14", "vwap")
START = datetime(2024, 3, 1, 14, 30, tzinfo=UTC)
Prices = tuple[float, float, float, float, float]


def md_bar(
    instrument: str,
    index: int,
    prices: Prices,
    *,
    interval: int = 60,
    revision: int = 0,
) -> dict[str, Any]:
    end = START + timedelta(seconds=interval * (index + 1))
    open_, high, low, close, volume = (q(Decimal(repr(p))) for p in prices)
    return {
        "envelope": envelope(
            event_type="md.bar",
            event_id=derive_event_id("md.bar", instrument, interval, index, revision),
            event_time=end,
            ingest_time=end + timedelta(milliseconds=5),
            agent="bar_aggregator",
        ),
        "instrument": instrument,
        "venue": "XNYS",
        "interval_seconds": interval,
        "start": end - timedelta(seconds=interval),
        "end": end,
        "open": open_,
        "high": high,
        "low": low,
        "close": close,
        "volume": volume,
        "vwap": None,
        "trade_count": 10,
        "revision": revision,
    }


def records(bars: list[dict[str, Any]]) -> list[Record]:
    return [
        Record(topic="md.bar", key=b["instrument"], value=b, offset=i) for i, b in enumerate(bars)
    ]


def spx_prices(spx: Ohlcv, count: int) -> list[Prices]:
    columns = (spx.open, spx.high, spx.low, spx.close, spx.volume)
    rows = zip(*(column[:count].tolist() for column in columns), strict=True)
    return [(o, h, lo, c, v) for o, h, lo, c, v in rows]


def spx_bars(
    spx: Ohlcv, instrument: str = "SPX", count: int = 300, *, interval: int = 60
) -> list[dict[str, Any]]:
    prices = spx_prices(spx, count)
    return [md_bar(instrument, i, row, interval=interval) for i, row in enumerate(prices)]


def expected_values(bars: list[dict[str, Any]], spec: str) -> list[dict[str, float | None]]:
    indicator = create(spec)
    fields = ("open", "high", "low", "close", "volume")
    return [indicator.update(BarInput(b["end"], *(float(b[f]) for f in fields))) for b in bars]


def test_one_valid_event_per_bar_and_spec(spx: Ohlcv) -> None:
    bars = spx_bars(spx)
    result = run_processor(IndicatorProcessor(SPECS), records(bars))
    assert len(result.outputs) == len(bars) * len(SPECS)
    assert {o.topic for o in result.outputs} == {"indicator.value"}
    assert {o.key for o in result.outputs} == {"SPX"}
    for position, spec in enumerate(SPECS):
        events = [o.value for o in result.outputs[position :: len(SPECS)]]
        assert [e["values"] for e in events] == expected_values(bars, spec)
        name, _, parameters = spec.partition(":")
        first = events[0]
        assert (first["indicator"], first["parameters"], first["version"]) == (name, parameters, 1)
        assert [e["bar_end"] for e in events] == [b["end"] for b in bars]
        assert all(e["interval_seconds"] == 60 and e["instrument"] == "SPX" for e in events)
        assert [e["ready"] for e in events] == [
            all(v is not None for v in e["values"].values()) for e in events
        ]


def test_envelopes_derive_from_the_bar(spx: Ohlcv) -> None:
    bar = spx_bars(spx, count=1)[0]
    outputs = IndicatorProcessor(SPECS).process(records([bar])[0])
    cause = bar["envelope"]
    for output, spec in zip(outputs, SPECS, strict=True):
        env = output.value["envelope"]
        assert env["event_id"] == derive_event_id(cause["event_id"], "indicator.value", spec)
        assert env["event_type"] == "indicator.value"
        assert env["causation_id"] == env["correlation_id"] == cause["event_id"]
        assert env["event_time"] == bar["end"]
        assert env["ingest_time"] == cause["ingest_time"]
        assert env["source"]["agent"] == "indicators"
    again = IndicatorProcessor(SPECS).process(records([bar])[0])
    assert [o.value for o in again] == [o.value for o in outputs]


def test_each_instrument_and_interval_is_its_own_series(spx: Ohlcv) -> None:
    spx_1m = spx_bars(spx, "SPX", 120)
    reversed_prices = spx_prices(spx, 120)[::-1]  # same times, other prices
    ndx_1m = [md_bar("NDX", i, row) for i, row in enumerate(reversed_prices)]
    spx_5m = spx_bars(spx, "SPX", 120, interval=300)
    mixed = [bar for trio in zip(spx_1m, ndx_1m, spx_5m, strict=True) for bar in trio]
    processor = IndicatorProcessor(["rsi:14"])
    outputs = run_processor(processor, records(mixed)).outputs
    assert processor.series() == [("NDX", 60), ("SPX", 60), ("SPX", 300)]
    assert [o.value["values"] for o in outputs[0::3]] == expected_values(spx_1m, "rsi:14")
    assert [o.value["values"] for o in outputs[1::3]] == expected_values(ndx_1m, "rsi:14")
    assert [o.value["values"] for o in outputs[2::3]] == expected_values(spx_5m, "rsi:14")


def test_revisions_of_consumed_bars_are_ignored_and_counted(spx: Ohlcv) -> None:
    bars = spx_bars(spx, count=40)
    processor = IndicatorProcessor(["sma:5"])
    harness = Harness(processor)
    for record in records(bars[:30]):
        harness.process(record)
    before = processor.snapshot()
    revised = md_bar("SPX", 29, (1.0, 2.0, 0.5, 1.5, 10.0), revision=1)
    assert harness.process(records([revised])[0]) == []
    older_revision = md_bar("SPX", 3, (1.0, 2.0, 0.5, 1.5, 10.0), revision=2)
    assert harness.process(records([older_revision])[0]) == []
    assert processor.revisions_ignored == 2
    resent = records([bars[29], bars[12]])
    assert [harness.process(r) for r in resent] == [[], []]
    assert processor.stale_bars_ignored == 2
    assert processor.snapshot()["series"] == before["series"]
    unseen_revision = md_bar("SPX", 30, (1.0, 2.0, 0.5, 1.5, 10.0), revision=1)
    assert len(harness.process(records([unseen_revision])[0])) == 1
    assert processor.counters() == {
        "revisions_ignored": 2,
        "stale_bars_ignored": 2,
        "indicators_reset": 0,
    }
    state = harness.state()
    assert (state["revisions_ignored"], state["stale_bars_ignored"]) == (2, 2)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"close": None}, "close must be a Decimal"),
        ({"high": 1.5}, "high must be a Decimal"),
        ({"low": q("99999")}, "low 99999.000000000 is above high"),
        ({"volume": q("-1")}, "volume -1.000000000 is negative"),
        ({"end": datetime(2024, 3, 1, 15, 0)}, "end must be a timezone-aware"),  # noqa: DTZ001
        ({"interval_seconds": 0}, "interval_seconds must be a positive int"),
        ({"revision": -1}, "revision must be an int >= 0"),
        ({"instrument": ""}, "instrument must be a non-empty string"),
        ({"close": Decimal("NaN")}, "close must be finite"),
    ],
)
def test_malformed_bars_raise_and_leave_the_state_alone(
    change: dict[str, Any], message: str, spx: Ohlcv
) -> None:
    bars = spx_bars(spx, count=3)
    processor = IndicatorProcessor(SPECS)
    for record in records(bars[:2]):
        processor.process(record)
    before = processor.snapshot()
    bad = {**bars[2], **change}
    with pytest.raises(ProcessingError, match=message) as caught:
        processor.process(records([bad])[0])
    assert bars[2]["envelope"]["event_id"] in str(caught.value)
    assert processor.snapshot() == before


def test_bars_without_fields_or_envelope_are_refused(spx: Ohlcv) -> None:
    bar = spx_bars(spx, count=1)[0]
    processor = IndicatorProcessor(SPECS)
    with pytest.raises(ProcessingError, match="missing field 'close'"):
        processor.process(records([{k: v for k, v in bar.items() if k != "close"}])[0])
    with pytest.raises(ProcessingError, match="without an envelope event_id"):
        processor.process(records([{**bar, "envelope": None}])[0])


def test_snapshot_restore_mid_stream_continues_exactly(spx: Ohlcv) -> None:
    bars = records(spx_bars(spx, count=200) + spx_bars(spx, "NDX", count=50))
    uninterrupted = run_processor(IndicatorProcessor(SPECS), bars).outputs
    harness = Harness(IndicatorProcessor(SPECS), fresh=lambda: IndicatorProcessor(SPECS))
    for record in bars[:37]:
        harness.process(record)
    first = harness.processor
    harness.state()  # Avro round trip into a fresh instance
    assert harness.processor is not first
    for record in bars[37:]:
        harness.process(record)
    assert [o.value for o in harness.outputs] == [o.value for o in uninterrupted]
    assert isinstance(harness.processor, IndicatorProcessor)
    assert harness.processor.indicators_reset == 0


def test_restore_resets_changed_or_new_indicators_and_drops_removed_ones(spx: Ohlcv) -> None:
    bars = records(spx_bars(spx, count=60))
    old = IndicatorProcessor(["ema:20", "rsi:14", "sma:5"])
    for record in bars:
        old.process(record)
    state = old.snapshot()
    saved = state["series"][0]["indicators"]
    rsi = json.loads(saved["rsi:14"])
    saved["rsi:14"] = json.dumps({**rsi, "version": 0})
    new = IndicatorProcessor(["ema:20", "rsi:14", "wma:10"])
    new.restore(state)
    assert new.indicators_reset == 2  # rsi (other version) and wma (not in the snapshot)
    assert new.indicator("SPX", 60, "ema:20").ready
    assert not new.indicator("SPX", 60, "rsi:14").ready
    assert not new.indicator("SPX", 60, "wma:10").ready
    assert "sma:5" not in new.snapshot()["series"][0]["indicators"]


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: s.pop("series"),
        lambda s: s["series"][0].update(last_bar_end="yesterday"),
        lambda s: s["series"][0]["indicators"].update({"ema:20": "[1, 2]"}),
        lambda s: s["series"][0]["indicators"].update({"ema:20": '{"version": 1}'}),
        lambda s: s["series"][0]["indicators"].update({"ema:20": "not json"}),
        lambda s: s["series"][0]["indicators"].update({"ema:20": 7}),
        lambda s: s["series"][0].update(indicators=["ema:20"]),
    ],
)
def test_malformed_snapshots_are_refused(damage: Any, spx: Ohlcv) -> None:
    processor = IndicatorProcessor(["ema:20"])
    for record in records(spx_bars(spx, count=30)):
        processor.process(record)
    state = processor.snapshot()
    damage(state)
    fresh = IndicatorProcessor(["ema:20"])
    with pytest.raises(IndicatorStateError):
        fresh.restore(state)
    assert fresh.series() == []
