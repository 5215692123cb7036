"""The indicators processor: ``md.bar`` in, one ``indicator.value`` per configured spec out.

State is kept per series, a series being one (instrument, interval_seconds): one indicator
instance per spec and the end of the last bar it consumed. For every accepted bar it emits
one event per spec, in spec order, keyed by the instrument; the event id derives from the
bar's id and the spec, so a bar processed again after a recovery yields the same ids.

Which bars are consumed (see docs/indicators.md):

* a bar whose end is after the series' last bar end updates the indicators (gaps between
  bars are not filled: indicators count bars, not time);
* a revision (``revision > 0``, a late-tick correction) of a bar already consumed is
  ignored and counted (``revisions_ignored``): the indicators have moved on from that bar,
  and ``indicator.value`` has no revision field to correct a value downstream has acted on.
  A revision of a bar never seen (end after the last one) is consumed like the bar itself;
* any other bar ending at or before the last bar end (a re-sent or out-of-order bar) is
  ignored and counted (``stale_bars_ignored``).

Snapshots hold every series with each indicator's state as compact JSON (map of spec text
to :meth:`Indicator.snapshot` JSON). On restore, indicators configured but absent from the
snapshot, or whose algorithm version changed, start warming up afresh (``indicators_reset``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Final

from streams.errors import ProcessingError
from streams.events import caused_by
from streams.indicators.base import BarInput, Indicator
from streams.indicators.errors import IndicatorStateError
from streams.indicators.registry import IndicatorSpec, create, parse_specs
from streams.runtime.processor import Output, Processor, Record

INPUT_TOPIC: Final = "md.bar"
OUTPUT_TOPIC: Final = "indicator.value"
EVENT_TYPE: Final = "indicator.value"

STATE_SCHEMA: Final[dict[str, Any]] = {
    "type": "record",
    "name": "IndicatorsState",
    "namespace": "tapewire.indicator.state",
    "fields": [
        {
            "name": "series",
            "type": {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "IndicatorSeries",
                    "fields": [
                        {"name": "instrument", "type": "string"},
                        {"name": "interval_seconds", "type": "int"},
                        {
                            "name": "last_bar_end",
                            "type": {"type": "long", "logicalType": "timestamp-micros"},
                        },
                        {
                            "name": "indicators",
                            "type": {"type": "map", "values": "string"},
                            "doc": "spec text (e.g. macd:12:26:9) -> JSON of its snapshot",
                        },
                    ],
                },
            },
        },
        {"name": "revisions_ignored", "type": "long"},
        {"name": "stale_bars_ignored", "type": "long"},
    ],
}

SeriesKey = tuple[str, int]


@dataclass(slots=True)
class _Series:
    indicators: dict[str, Indicator]
    last_bar_end: datetime


@dataclass(frozen=True, slots=True)
class _Bar:
    key: SeriesKey
    end: datetime
    revision: int
    values: BarInput
    envelope: dict[str, Any] = field(repr=False)


class IndicatorProcessor(Processor):
    """Computes the configured indicators over every (instrument, interval) bar series."""

    name: ClassVar[str] = "indicators"
    inputs: ClassVar[tuple[str, ...]] = (INPUT_TOPIC,)
    outputs: ClassVar[tuple[str, ...]] = (OUTPUT_TOPIC,)
    state_schema: ClassVar[dict[str, Any] | None] = STATE_SCHEMA

    def __init__(self, specs: Sequence[str | IndicatorSpec]) -> None:
        texts = [spec.text if isinstance(spec, IndicatorSpec) else spec for spec in specs]
        self.specs: tuple[IndicatorSpec, ...] = parse_specs(texts, field="specs")
        self._series: dict[SeriesKey, _Series] = {}
        self.revisions_ignored = 0
        self.stale_bars_ignored = 0
        self.indicators_reset = 0

    def process(self, record: Record) -> list[Output]:
        bar = _read_bar(record.value)
        series = self._series.get(bar.key)
        if series is not None and bar.end <= series.last_bar_end:
            if bar.revision > 0:
                self.revisions_ignored += 1
            else:
                self.stale_bars_ignored += 1
            return []
        if series is None:
            series = self._series[bar.key] = self._new_series(bar.end)
        series.last_bar_end = bar.end
        instrument, interval = bar.key
        outputs: list[Output] = []
        for spec in self.specs:
            indicator = series.indicators[spec.text]
            values = indicator.update(bar.values)
            envelope = caused_by(
                bar.envelope,
                event_type=EVENT_TYPE,
                agent=self.name,
                discriminator=spec.text,
                event_time=bar.end,
            )
            value = {
                "envelope": envelope,
                "instrument": instrument,
                "indicator": spec.name,
                "parameters": spec.parameters_text,
                "version": indicator.version,
                "interval_seconds": interval,
                "bar_end": bar.end,
                "ready": indicator.ready,
                "values": values,
            }
            outputs.append(Output(topic=OUTPUT_TOPIC, key=instrument, value=value))
        return outputs

    def counters(self) -> dict[str, int]:
        """Totals a host or test can export as metrics (the first two are in the snapshot)."""
        return {
            "revisions_ignored": self.revisions_ignored,
            "stale_bars_ignored": self.stale_bars_ignored,
            "indicators_reset": self.indicators_reset,
        }

    def series(self) -> list[SeriesKey]:
        """The (instrument, interval_seconds) series seen so far."""
        return sorted(self._series)

    def indicator(self, instrument: str, interval_seconds: int, spec: str) -> Indicator:
        """The live indicator of one series (for inspection and tests)."""
        text = parse_specs([spec], field="spec")[0].text
        return self._series[(instrument, interval_seconds)].indicators[text]

    def _new_series(self, last_bar_end: datetime) -> _Series:
        return _Series({spec.text: create(spec) for spec in self.specs}, last_bar_end)

    def snapshot(self) -> dict[str, Any]:
        series = []
        for (instrument, interval), item in sorted(self._series.items()):
            states = {
                text: json.dumps(indicator.snapshot(), separators=(",", ":"), allow_nan=False)
                for text, indicator in item.indicators.items()
            }
            series.append(
                {
                    "instrument": instrument,
                    "interval_seconds": interval,
                    "last_bar_end": item.last_bar_end,
                    "indicators": states,
                }
            )
        return {
            "series": series,
            "revisions_ignored": self.revisions_ignored,
            "stale_bars_ignored": self.stale_bars_ignored,
        }

    def restore(self, state: dict[str, Any]) -> None:
        restored: dict[SeriesKey, _Series] = {}
        resets = 0
        try:
            for entry in state["series"]:
                key = (str(entry["instrument"]), int(entry["interval_seconds"]))
                last_bar_end = entry["last_bar_end"]
                if not isinstance(last_bar_end, datetime) or last_bar_end.tzinfo is None:
                    raise TypeError(f"last_bar_end must be an aware datetime: {last_bar_end!r}")
                series = self._new_series(last_bar_end)
                saved = entry["indicators"]
                if not isinstance(saved, Mapping):
                    raise TypeError(f"indicators must be a map, got {type(saved).__name__}")
                for text, indicator in series.indicators.items():
                    if not self._restore_one(indicator, saved.get(text), key):
                        resets += 1
                restored[key] = series
            revisions, stale = int(state["revisions_ignored"]), int(state["stale_bars_ignored"])
        except (KeyError, TypeError, ValueError) as exc:
            raise IndicatorStateError(f"malformed {self.name} snapshot: {exc!r}") from exc
        self._series = restored
        self.revisions_ignored, self.stale_bars_ignored = revisions, stale
        self.indicators_reset += resets

    @staticmethod
    def _restore_one(indicator: Indicator, saved: object, key: SeriesKey) -> bool:
        """Restore one indicator; False when it must start afresh (absent or other version)."""
        if saved is None:
            return False
        if not isinstance(saved, str):
            raise TypeError(f"{key}: {indicator!r} state must be a JSON string")
        loaded = json.loads(saved)
        if not isinstance(loaded, dict):
            raise IndicatorStateError(f"{key}: {indicator!r} state is not a JSON object")
        if loaded.get("version") != indicator.version:
            return False
        try:
            indicator.restore(loaded)
        except IndicatorStateError as exc:
            raise IndicatorStateError(f"series {key}: {exc}") from exc
        return True


def _read_bar(bar: Mapping[str, Any]) -> _Bar:
    """Validate the fields the processor uses; errors name the bar's event id."""
    envelope = bar.get("envelope")
    if not isinstance(envelope, dict) or not envelope.get("event_id"):
        raise ProcessingError(f"md.bar without an envelope event_id: {envelope!r}")
    event_id = envelope["event_id"]
    try:
        instrument, interval, revision = bar["instrument"], bar["interval_seconds"], bar["revision"]
        if not isinstance(instrument, str) or not instrument:
            raise ProcessingError(f"instrument must be a non-empty string, got {instrument!r}")
        if isinstance(interval, bool) or not isinstance(interval, int) or interval <= 0:
            raise ProcessingError(f"interval_seconds must be a positive int, got {interval!r}")
        if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
            raise ProcessingError(f"revision must be an int >= 0, got {revision!r}")
        end = _aware(bar["end"], "end")
        open_, high, low, close, volume = (
            _number(bar, name) for name in ("open", "high", "low", "close", "volume")
        )
        if low > high:
            raise ProcessingError(f"low {bar['low']} is above high {bar['high']}")
        if volume < 0:
            raise ProcessingError(f"volume {bar['volume']} is negative")
    except KeyError as exc:
        raise ProcessingError(f"md.bar {event_id}: missing field {exc}") from exc
    except ProcessingError as exc:
        raise ProcessingError(f"md.bar {event_id}: {exc}") from exc
    return _Bar(
        key=(instrument, interval),
        end=end,
        revision=revision,
        values=BarInput(end, open_, high, low, close, volume),
        envelope=envelope,
    )


def _number(bar: Mapping[str, Any], name: str) -> float:
    value = bar[name]
    if not isinstance(value, Decimal | int) or isinstance(value, bool):
        raise ProcessingError(f"{name} must be a Decimal, got {value!r}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ProcessingError(f"{name} must be finite, got {value!r}")
    return float(value)


def _aware(value: Any, name: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ProcessingError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value
