"""Builders of the events the strategy processor consumes, for the strategy unit tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from streams.decimals import q
from streams.events import derive_event_id, envelope
from streams.runtime.processor import Output, Processor, Record

T0 = datetime(2024, 1, 2, 9, 30, tzinfo=UTC)
INTERVAL = 60

Readings = Mapping[tuple[str, str], Mapping[str, float | None]]


def bar_end(index: int, interval: int = INTERVAL) -> datetime:
    return T0 + timedelta(seconds=interval * (index + 1))


def _envelope(event_type: str, key: object, when: datetime) -> dict[str, Any]:
    return envelope(
        event_type=event_type,
        event_id=derive_event_id(event_type, key),
        event_time=when,
        ingest_time=when,
        agent="test",
    )


def bar(
    index: int,
    close: float | str,
    *,
    instrument: str = "SPX",
    interval: int = INTERVAL,
    revision: int = 0,
) -> Record:
    end = bar_end(index, interval)
    price = q(str(close))
    value = {
        "envelope": _envelope("md.bar", (instrument, interval, index, revision), end),
        "instrument": instrument,
        "venue": "TEST",
        "interval_seconds": interval,
        "start": end - timedelta(seconds=interval),
        "end": end,
        "open": price,
        "high": price,
        "low": price,
        "close": price,
        "volume": q(1000),
        "vwap": None,
        "trade_count": 1,
        "revision": revision,
    }
    return Record(topic="md.bar", key=instrument, value=value)


def indicator(
    index: int,
    name: str,
    parameters: str,
    values: Mapping[str, float | None],
    *,
    ready: bool | None = None,
    instrument: str = "SPX",
    interval: int = INTERVAL,
    event_time: datetime | None = None,
) -> Record:
    end = bar_end(index, interval)
    is_ready = all(v is not None for v in values.values()) if ready is None else ready
    value = {
        "envelope": _envelope(
            "indicator.value", (instrument, interval, index, name, parameters), event_time or end
        ),
        "instrument": instrument,
        "indicator": name,
        "parameters": parameters,
        "version": 1,
        "interval_seconds": interval,
        "bar_end": end,
        "ready": is_ready,
        "values": dict(values),
    }
    return Record(topic="indicator.value", key=instrument, value=value)


def bar_with(
    index: int,
    close: float | str,
    readings: Readings,
    *,
    instrument: str = "SPX",
    interval: int = INTERVAL,
) -> list[Record]:
    """The bar followed by its indicator values."""
    records = [bar(index, close, instrument=instrument, interval=interval)]
    for (name, parameters), values in readings.items():
        records.append(
            indicator(index, name, parameters, values, instrument=instrument, interval=interval)
        )
    return records


def advice(
    when: datetime,
    score: float,
    *,
    direction: str = "UP",
    confidence: float = 0.5,
    instrument: str = "SPX",
    features: Mapping[str, float] | None = None,
) -> Record:
    value = {
        "envelope": _envelope("ml.advice", (instrument, when, score), when),
        "model": "test_model",
        "model_version": "1",
        "instrument": instrument,
        "horizon_seconds": 60,
        "direction": direction,
        "score": score,
        "confidence": confidence,
        "features": dict(features or {}),
    }
    return Record(topic="ml.advice", key=instrument, value=value)


def control(command: str, scope: str = "GLOBAL", target: str | None = None) -> Record:
    value = {
        "envelope": _envelope("system.control", (command, scope, target), T0),
        "command": command,
        "scope": scope,
        "target": target,
        "operator": "tester",
        "reason": "unit test",
    }
    return Record(topic="system.control", key=f"{scope}:{target}", value=value)


def run(processor: Processor, records: Iterable[Record]) -> list[Output]:
    outputs: list[Output] = []
    for record in records:
        outputs.extend(processor.process(record))
    return outputs


def summary(outputs: Iterable[Output]) -> list[tuple[str, str, str, str]]:
    """(bar end, side, quantity, reason) of each intent, for compact assertions."""
    return [
        (
            o.value["envelope"]["event_time"].isoformat(),
            o.value["side"],
            str(o.value["quantity"]),
            o.value["reason"],
        )
        for o in outputs
    ]
