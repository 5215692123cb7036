"""Agent modules of market data: settings from the environment, wiring, pacing, publishing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from streams.agents import bar_aggregator, file_feed, synthetic_feed, tick_normalizer, venue_feed
from streams.clock import ManualClock
from streams.errors import ConfigError
from streams.marketdata.bars import BarAggregator
from streams.marketdata.normalizer import TickNormalizer
from streams.marketdata.pacing import Pacer
from streams.runtime.processor import Output
from streams.settings import Settings, load_settings
from tests.unit.marketdata.md_unit_support import T0, at


class RecordingPublisher:
    def __init__(self) -> None:
        self.outputs: list[Output] = []
        self.flushes = 0

    def publish(self, output: Output) -> None:
        self.outputs.append(output)

    def flush(self, timeout: float = 10.0) -> None:
        del timeout
        self.flushes += 1


@pytest.fixture
def settings() -> Settings:
    return load_settings()


def test_processor_agents_are_bulk_agents_with_their_snapshot_topics(settings: Settings) -> None:
    assert tick_normalizer.AGENT.host == bar_aggregator.AGENT.host == "bulk"
    assert tick_normalizer.AGENT.snapshot_topic == "md.normalizer.snapshot"
    assert bar_aggregator.AGENT.snapshot_topic == "md.bars.snapshot"
    assert isinstance(tick_normalizer.AGENT.build(settings), TickNormalizer)
    assert isinstance(bar_aggregator.AGENT.build(settings), BarAggregator)
    names = {synthetic_feed.AGENT.name, file_feed.AGENT.name, venue_feed.AGENT.name}
    assert names == {"synthetic_feed", "file_feed", "venue_feed"}


def test_bar_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAPEWIRE_BAR_INTERVALS", "[5, 300]")
    monkeypatch.setenv("TAPEWIRE_BAR_LATE_GRACE_SECONDS", "30")
    options = bar_aggregator.options_from(bar_aggregator.BarConfig())
    assert options.intervals == (5, 300)
    assert options.late_grace == timedelta(seconds=30)
    monkeypatch.setenv("TAPEWIRE_BAR_INTERVALS", "[0]")
    with pytest.raises(ConfigError, match="TAPEWIRE_BAR_INTERVALS"):
        bar_aggregator.build(load_settings())


def test_bad_settings_name_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAPEWIRE_SYNTHETIC_RATE", "-3")
    with pytest.raises(ConfigError, match="TAPEWIRE_SYNTHETIC_RATE") as caught:
        synthetic_feed.run(load_settings(), RecordingPublisher(), ManualClock(), lambda: False)
    assert caught.value.field == "rate"


def test_synthetic_feed_publishes_raw_ticks_stamped_with_the_clock(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.setenv("TAPEWIRE_SYNTHETIC_MAX_EVENTS", "40")
    monkeypatch.setenv("TAPEWIRE_SYNTHETIC_SPEED", "0")
    monkeypatch.setenv("TAPEWIRE_SYNTHETIC_INSTRUMENTS", '["AAPL", "BTC-USD"]')
    clock = ManualClock(T0)
    publisher = RecordingPublisher()
    synthetic_feed.run(settings, publisher, clock, lambda: False)
    assert len(publisher.outputs) == 40
    assert publisher.flushes == 1
    assert {o.topic for o in publisher.outputs} == {"md.tick.raw"}
    assert {o.key for o in publisher.outputs} == {"AAPL", "BTC-USD"}
    assert all(o.value["envelope"]["ingest_time"] == T0 for o in publisher.outputs)
    event_times = [o.value["envelope"]["event_time"] for o in publisher.outputs]
    assert event_times[0] > synthetic_feed.SyntheticFeedConfig().start


def test_synthetic_feed_stops_when_asked(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.setenv("TAPEWIRE_SYNTHETIC_SPEED", "0")
    publisher = RecordingPublisher()
    synthetic_feed.run(settings, publisher, ManualClock(), lambda: len(publisher.outputs) >= 5)
    assert len(publisher.outputs) == 5


def test_unknown_synthetic_instrument(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAPEWIRE_SYNTHETIC_INSTRUMENTS", '["NOPE"]')
    with pytest.raises(ConfigError, match="NOPE"):
        synthetic_feed.build_feed(synthetic_feed.SyntheticFeedConfig())


def test_pacer_publishes_at_event_time_speed() -> None:
    clock = ManualClock(T0)
    pacer = Pacer(clock, clock.advance, speed=2.0)
    for seconds in (0.0, 1.0, 3.0):
        assert pacer.wait_until_due(at(seconds), lambda: False)
    assert clock.monotonic() == pytest.approx(1.5)  # 3 s of event time at twice the speed
    assert not pacer.wait_until_due(at(100.0), lambda: True)


def test_file_feed_replays_a_tick_csv_with_a_yaml_mapping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    data = tmp_path / "trades.csv"
    data.write_text("t,px,qty\n1709294400,190.01,3\n1709294401,190.02,4\n", encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "time: t\ntime_format: epoch_s\ndefault_instrument: AAPL\nprice: px\nsize: qty\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("TAPEWIRE_FILE_FEED_PATH", str(data))
    monkeypatch.setenv("TAPEWIRE_FILE_FEED_KIND", "ticks")
    monkeypatch.setenv("TAPEWIRE_FILE_FEED_MAPPING", str(mapping))
    publisher = RecordingPublisher()
    file_feed.run(settings, publisher, ManualClock(T0), lambda: False)
    assert [(o.topic, o.key, o.value["sequence"]) for o in publisher.outputs] == [
        ("md.tick.raw", "AAPL", 1),
        ("md.tick.raw", "AAPL", 2),
    ]
    assert publisher.outputs[0].value["feed"] == "file.trades"


def test_file_feed_mapping_errors_name_the_field(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("time_label: middle\ndefault_instrument: SPX\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        file_feed.load_mapping(mapping, "bars")
    assert caught.value.field == "file_feed.mapping.time_label"
    with pytest.raises(ConfigError, match="mapping is required"):
        file_feed.events(file_feed.FileFeedConfig(path=tmp_path / "x.csv"))


def test_file_feed_defaults_to_the_sp500_sample() -> None:
    topic, values = file_feed.events(file_feed.FileFeedConfig())
    first = next(values)
    assert (topic, first["instrument"], first["interval_seconds"]) == ("md.bar", "SPX", 86_400)


def test_venue_feed_accepts_only_binance_instruments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAPEWIRE_VENUE_INSTRUMENTS", '["AAPL"]')
    with pytest.raises(ConfigError, match="AAPL"):
        venue_feed.build_client(venue_feed.VenueFeedConfig(), RecordingPublisher(), ManualClock())
    monkeypatch.setenv("TAPEWIRE_VENUE_INSTRUMENTS", '["BTC-USD"]')
    monkeypatch.setenv("TAPEWIRE_VENUE_WS_URL", "http://example.invalid")
    with pytest.raises(ConfigError, match="ws_url"):
        venue_feed.build_client(venue_feed.VenueFeedConfig(), RecordingPublisher(), ManualClock())
