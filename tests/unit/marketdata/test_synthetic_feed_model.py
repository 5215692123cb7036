"""Statistical and structural properties of the synthetic feed (fixed seeds: deterministic)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from itertools import islice, pairwise
from typing import Any

import numpy as np
import pytest
from streams.errors import ConfigError
from streams.marketdata.instruments import InstrumentRegistry
from streams.marketdata.synthetic import SyntheticFeed, SyntheticParameters

START = datetime(2024, 1, 1, tzinfo=UTC)
SECONDS_PER_YEAR = 365 * 86_400


def generate(
    instruments: InstrumentRegistry, symbols: list[str], count: int, **overrides: Any
) -> list[dict[str, Any]]:
    values: dict[str, Any] = {"seed": 11, "start": START, "events_per_second": 1.0}
    values.update(overrides)
    feed = SyntheticFeed(SyntheticParameters(**values), [instruments[s] for s in symbols])
    return list(islice(feed, count))


def mids(events: list[dict[str, Any]]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    quotes = [e for e in events if e["kind"] == "QUOTE"]
    prices = np.array([float((e["bid_price"] + e["ask_price"]) / 2) for e in quotes])
    times = np.array([e["envelope"]["event_time"].timestamp() for e in quotes])
    return times, prices


def squared_return_autocorrelation(events: list[dict[str, Any]]) -> float:
    _, prices = mids(events)
    squared = np.diff(np.log(prices)) ** 2
    centred = squared - squared.mean()
    return float((centred[1:] * centred[:-1]).mean() / (centred * centred).mean())


@pytest.mark.parametrize(("symbol", "target"), [("BTC-USD", 0.60), ("AAPL", 0.28)])
def test_annualised_volatility_is_near_the_target(
    instruments: InstrumentRegistry, symbol: str, target: float
) -> None:
    times, prices = mids(generate(instruments, [symbol], 20_000))
    grid = np.arange(times[0], times[-1], 60.0)
    sampled = prices[np.searchsorted(times, grid, side="right") - 1]
    returns = np.diff(np.log(sampled))
    annualised = float(returns.std()) * math.sqrt(SECONDS_PER_YEAR / 60.0)
    assert annualised == pytest.approx(target, rel=0.15)


def test_squared_returns_cluster_only_with_garch(instruments: InstrumentRegistry) -> None:
    clustered = squared_return_autocorrelation(
        generate(instruments, ["BTC-USD"], 20_000, trade_probability=0.0)
    )
    plain = squared_return_autocorrelation(
        generate(
            instruments, ["BTC-USD"], 20_000, trade_probability=0.0, garch_alpha=0, garch_beta=0
        )
    )
    assert clustered > 0.04
    assert abs(plain) < 0.02


def test_prices_sizes_and_spreads_respect_the_instrument(instruments: InstrumentRegistry) -> None:
    events = generate(instruments, ["BTC-USD", "AAPL", "SPX"], 3_000)
    for event in events:
        instrument = instruments[event["instrument"]]
        assert event["venue"] == instrument.venue
        if event["kind"] == "QUOTE":
            assert event["ask_price"] - event["bid_price"] >= instrument.tick_size
            prices = [event["bid_price"], event["ask_price"]]
            sizes = [event["bid_size"], event["ask_size"]]
        else:
            prices, sizes = [event["price"]], [event["size"]]
            assert event["aggressor"] in {"BUY", "SELL"}
        assert all(p % instrument.tick_size == 0 for p in prices)
        assert all(s >= instrument.lot_size and s % instrument.lot_size == 0 for s in sizes)


def test_buys_trade_above_the_mid_and_sells_below(instruments: InstrumentRegistry) -> None:
    events = generate(instruments, ["MSFT"], 3_000, events_per_second=50.0)
    mid = None
    agree = total = 0
    for event in events:
        if event["kind"] == "QUOTE":
            mid = (event["bid_price"] + event["ask_price"]) / 2
        elif mid is not None:
            total += 1
            if event["aggressor"] == "BUY":
                agree += event["price"] >= mid
            else:
                agree += event["price"] <= mid
    assert agree / total > 0.97
    assert total / len(events) == pytest.approx(0.3, abs=0.04)


def test_schedule_sequences_and_times(instruments: InstrumentRegistry) -> None:
    events = generate(instruments, ["BTC-USD", "ETH-USD"], 4_000, events_per_second=50.0)
    times = [e["envelope"]["event_time"] for e in events]
    assert all(a < b for a, b in pairwise(times))
    assert times[0] > START
    duration = (times[-1] - START).total_seconds()
    assert len(events) / duration == pytest.approx(50.0, rel=0.06)
    for symbol in ("BTC-USD", "ETH-USD"):
        sequences = [e["sequence"] for e in events if e["instrument"] == symbol]
        assert sequences == list(range(1, len(sequences) + 1))


def test_same_seed_same_events_different_seed_different_events(
    instruments: InstrumentRegistry,
) -> None:
    first = generate(instruments, ["BTC-USD", "AAPL"], 500)
    again = generate(instruments, ["BTC-USD", "AAPL"], 500)
    other = generate(instruments, ["BTC-USD", "AAPL"], 500, seed=12)
    assert first == again
    assert [e["envelope"]["event_id"] for e in first] == [e["envelope"]["event_id"] for e in again]
    assert [e["envelope"]["event_time"] for e in first] != [
        e["envelope"]["event_time"] for e in other
    ]


def test_invalid_parameters_are_config_errors(instruments: InstrumentRegistry) -> None:
    with pytest.raises(ConfigError, match="garch"):
        SyntheticParameters(seed=1, start=START, garch_alpha=0.5, garch_beta=0.6)
    with pytest.raises(ConfigError, match="events_per_second"):
        SyntheticParameters(seed=1, start=START, events_per_second=0)
    with pytest.raises(ConfigError, match="timezone"):
        SyntheticParameters(seed=1, start=datetime(2024, 1, 1))  # noqa: DTZ001
    with pytest.raises(ConfigError, match="instruments"):
        SyntheticFeed(SyntheticParameters(seed=1, start=START), [])
