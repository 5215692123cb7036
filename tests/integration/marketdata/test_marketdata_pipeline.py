"""Market data end to end on the embedded broker, every agent a real ``tapewire agent`` process.

synthetic_feed -> md.tick.raw -> tick_normalizer -> md.tick -> bar_aggregator -> md.bar, with
re-sent duplicates dropped and a malformed tick dead-lettered (with its origin) on the way.
The outputs must match the same processors run in-process over the same seeded ticks.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from streams.agents.synthetic_feed import SyntheticFeedConfig, build_feed
from streams.codec import AvroCodec
from streams.marketdata.bars import BarAggregator, BarOptions
from streams.marketdata.files import sp500_daily
from streams.marketdata.instruments import load_instruments
from streams.marketdata.normalizer import TickNormalizer
from streams.runtime.processor import Record
from tests.integration.marketdata.md_pipeline_support import Pipeline

EVENTS = 600
DUPLICATES = 25
CONFIG = SyntheticFeedConfig(
    seed=42,
    instruments=("AAPL", "BTC-USD"),
    start=datetime(2024, 3, 1, 14, 30, tzinfo=UTC),
    rate=50.0,
    speed=0.0,
    max_events=EVENTS,
)
_BAR_FIELDS: tuple[str, ...] = ("instrument", "venue", "interval_seconds", "start", "end")
_BAR_FIELDS += ("open", "high", "low", "close", "volume", "vwap", "trade_count")


@pytest.fixture
def pipeline(stack: Any, unique: str, tmp_path: Path) -> Iterator[Pipeline]:
    settings = stack.settings(topic_prefix=unique)
    env = {
        "TAPEWIRE_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "TAPEWIRE_PROFILE": settings.profile,
        "TAPEWIRE_SYNTHETIC_SEED": str(CONFIG.seed),
        "TAPEWIRE_SYNTHETIC_INSTRUMENTS": '["AAPL", "BTC-USD"]',
        "TAPEWIRE_SYNTHETIC_START": CONFIG.start.isoformat(),
        "TAPEWIRE_SYNTHETIC_RATE": str(CONFIG.rate),
        "TAPEWIRE_SYNTHETIC_SPEED": "0",
        "TAPEWIRE_SYNTHETIC_MAX_EVENTS": str(EVENTS),
        "TAPEWIRE_BAR_INTERVALS": "[1, 5]",
    }
    pipeline = Pipeline(settings, unique, AvroCodec.from_settings(settings), tmp_path, env)
    pipeline.create_topics()
    try:
        yield pipeline
    finally:
        pipeline.stop_all()


def expected_outputs() -> tuple[set[str], dict[tuple[Any, ...], dict[str, Any]]]:
    """Normalised tick ids and final bars of the same ticks, computed in-process."""
    normalizer = TickNormalizer(load_instruments())
    aggregator = BarAggregator(BarOptions(intervals=(1, 5)))
    tick_ids: set[str] = set()
    bars: list[dict[str, Any]] = []
    for raw in islice(build_feed(CONFIG), EVENTS):
        for output in normalizer.process(Record(topic="md.tick.raw", key=None, value=raw)):
            if output.topic == "md.tick":
                tick_ids.add(output.value["envelope"]["event_id"])
                tick = Record(topic="md.tick", key=None, value=output.value)
                bars.extend(o.value for o in aggregator.process(tick))
    far_future = datetime(2100, 1, 1, tzinfo=UTC)
    for _ in range(2):  # the host's timer closes the last (quiet) bars the same way
        bars.extend(o.value for o in aggregator.on_timer(far_future))
    return tick_ids, latest_revisions(bars)


def latest_revisions(bars: list[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    latest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for bar in sorted(bars, key=lambda b: b["revision"]):
        latest[(bar["instrument"], bar["interval_seconds"], bar["start"])] = bar
    return latest


def test_feed_to_bars_with_duplicates_dropped_and_a_dead_letter(pipeline: Pipeline) -> None:
    expected_ticks, expected_bars = expected_outputs()

    feed = pipeline.start("synthetic_feed")
    assert feed.wait(60) == 0, pipeline.logs()
    resent = list(islice(build_feed(CONFIG), DUPLICATES))  # same ids and sequences again
    malformed = {**resent[0], "instrument": "NOPE", "sequence": 1}
    pipeline.produce("md.tick.raw", [*resent, malformed])

    pipeline.start("tick_normalizer")
    pipeline.start("bar_aggregator")

    ticks = pipeline.read("md.tick", until=len(expected_ticks))
    assert {t["envelope"]["event_id"] for t in ticks} == expected_ticks, pipeline.logs()
    assert len(ticks) == len(expected_ticks)  # the re-sent duplicates were dropped

    [letter] = pipeline.read("system.deadletter", until=1)
    assert letter["agent"] == "tick_normalizer"
    assert letter["origin_topic"] == pipeline.settings.topic("md.tick.raw")
    assert letter["origin_offset"] >= 0
    assert letter["error_class"].endswith("UnknownInstrumentError")
    assert "NOPE" in letter["error_message"]

    bars = latest_revisions(pipeline.read("md.bar", until=len(expected_bars)))
    assert bars.keys() == expected_bars.keys()
    for key, bar in bars.items():
        assert {f: bar[f] for f in _BAR_FIELDS} == {f: expected_bars[key][f] for f in _BAR_FIELDS}
    assert {b["interval_seconds"] for b in bars.values()} == {1, 5}

    assert pipeline.read("md.gap", until=0, timeout=3) == []


def test_file_feed_publishes_the_sp500_daily_bars(pipeline: Pipeline) -> None:
    expected = list(sp500_daily(load_instruments()))
    feed = pipeline.start("file_feed")
    assert feed.wait(120) == 0, pipeline.logs()
    bars = pipeline.read("md.bar", until=len(expected))
    assert len(bars) == len(expected)
    by_id = {b["envelope"]["event_id"]: b for b in bars}
    for bar in (expected[0], expected[len(expected) // 2], expected[-1]):
        published = by_id[bar["envelope"]["event_id"]]
        assert {f: published[f] for f in _BAR_FIELDS} == {f: bar[f] for f in _BAR_FIELDS}
