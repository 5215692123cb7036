"""Snapshot mid-stream -> JSON -> restore into a fresh instance -> continue == uninterrupted."""

from __future__ import annotations

import json
from typing import Any

import pytest
from streams.indicators import INDICATORS, create
from streams.indicators.errors import IndicatorStateError
from tests.unit.indicators.indicator_data import Ohlcv

SPECS = (
    "sma:20",
    "ema:10",
    "wma:10",
    "rsi:14",
    "macd:12:26:9",
    "bbands:20:2",
    "atr:14",
    "adx:14",
    "stoch:14:3:3",
    "vwap",
    "vwap:20",
    "obv",
)
# during warm-up, on the bar an indicator becomes ready, and long after
SPLITS = (0, 1, 5, 13, 14, 27, 33, 200, 4000)


def test_every_known_indicator_is_covered() -> None:
    assert {spec.split(":")[0] for spec in SPECS} == set(INDICATORS)


@pytest.mark.parametrize("spec", SPECS)
def test_restored_instance_continues_exactly(spec: str, spx: Ohlcv) -> None:
    bars = spx.bars[:4300]
    reference = create(spec)
    uninterrupted = [reference.update(bar) for bar in bars]
    for split in SPLITS:
        first = create(spec)
        for bar in bars[:split]:
            first.update(bar)
        saved = json.loads(json.dumps(first.snapshot(), allow_nan=False))
        second = create(spec)
        second.restore(saved)
        assert second.snapshot() == first.snapshot()
        assert second.ready == first.ready
        resumed = [second.update(bar) for bar in bars[split:]]
        assert resumed == uninterrupted[split:], f"{spec} split at {split}"


@pytest.mark.parametrize("spec", SPECS)
def test_restore_refuses_another_indicator_or_parameters(spec: str, spx: Ohlcv) -> None:
    indicator = create(spec)
    for bar in spx.bars[:50]:
        indicator.update(bar)
    other = create("sma:7" if spec != "sma:7" else "ema:7")
    with pytest.raises(IndicatorStateError, match="cannot be restored"):
        other.restore(indicator.snapshot())
    newer = {**indicator.snapshot(), "version": indicator.version + 1}
    with pytest.raises(IndicatorStateError, match="version"):
        create(spec).restore(newer)


def _corrupt(state: Any) -> list[Any]:
    """Variants of a state with one value replaced by something of the wrong shape."""
    variants: list[Any] = []
    if isinstance(state, dict):
        for key, value in state.items():
            variants.append({k: v for k, v in state.items() if k != key})
            variants.append({**state, key: "x"})
            variants.extend({**state, key: inner} for inner in _corrupt(value))
    elif isinstance(state, list):
        variants.append([*state, *([1.0] * 500)])
        if state:
            variants.append([{"nested": 1}, *state[1:]])
    elif isinstance(state, float):
        variants.append(float("inf"))
    return variants


@pytest.mark.parametrize("spec", SPECS)
def test_malformed_state_is_refused_and_leaves_the_indicator_unchanged(
    spec: str, spx: Ohlcv
) -> None:
    source = create(spec)
    for bar in spx.bars[:60]:
        source.update(bar)
    target = create(spec)
    for bar in spx.bars[:30]:
        target.update(bar)
    before = target.snapshot()
    variants = _corrupt(source.snapshot()["state"])
    assert len(variants) > 3
    for corrupted in variants:
        with pytest.raises(IndicatorStateError, match="malformed snapshot state"):
            target.restore({**source.snapshot(), "state": corrupted})
        assert target.snapshot() == before
    with pytest.raises(IndicatorStateError, match="no 'state'"):
        target.restore({**source.snapshot(), "state": None})
