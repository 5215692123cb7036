"""TickNormalizer: raw ticks (md.tick.raw) -> validated, rounded ticks (md.tick) + gaps (md.gap).

Per record:

1. validation: the instrument must be in the instruments file
   (:class:`UnknownInstrumentError`), the venue must be the instrument's, a TRADE needs a
   positive price and size, a QUOTE at least one side with a positive price and a
   non-negative size and must not be crossed (bid > ask). Failures raise
   :class:`MalformedTickError` (a ``ProcessingError``) *before* any state changes, so the
   host dead-letters the record and the sequence state is untouched;
2. rounding: prices to the instrument's tick size, sizes to its lot size (banker's rounding
   on exact halves); a trade size that rounds to zero is malformed;
3. sequences, per (feed, instrument) (:mod:`.sequences`): the first tick seen is accepted
   as is; a jump emits ``md.gap`` MISSING (expected, received, missing_count) and forwards
   the tick; a lower sequence that was skipped earlier emits ``md.gap`` OUT_OF_ORDER and is
   forwarded too (consumers that keep state by event time order must tolerate it); a
   sequence already seen is a duplicate: dropped and counted in :attr:`duplicates_dropped`.

Ids: the normalised tick's envelope is ``caused_by(raw envelope)``: its id is
``derive_event_id(raw_id, "md.tick", "")``, its causation id is the raw id, event and
ingest times are the raw tick's. A gap's id is ``derive_event_id(raw_id, "md.gap",
kind)``. Replaying the same raw ticks therefore yields the same ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Final

from streams.events import caused_by
from streams.marketdata.errors import MalformedTickError, UnknownInstrumentError
from streams.marketdata.instruments import Instrument, InstrumentRegistry
from streams.marketdata.sequences import Observation, SequenceTracker, Verdict
from streams.marketdata.ticks import GAP_TOPIC, TICK_RAW_TOPIC, TICK_TOPIC
from streams.runtime.processor import Output, Processor, Record

_LONG: Final = "long"
STATE_SCHEMA: Final[dict[str, Any]] = {
    "type": "record",
    "name": "TickNormalizerState",
    "namespace": "tapewire.state",
    "fields": [
        {
            "name": "feeds",
            "type": {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "FeedSequenceState",
                    "fields": [
                        {"name": "feed", "type": "string"},
                        {"name": "instrument", "type": "string"},
                        {"name": "next_expected", "type": _LONG},
                        {
                            "name": "missing",
                            "type": {
                                "type": "array",
                                "items": {
                                    "type": "record",
                                    "name": "SequenceRange",
                                    "fields": [
                                        {"name": "start", "type": _LONG},
                                        {"name": "end", "type": _LONG},
                                    ],
                                },
                            },
                        },
                    ],
                },
            },
        },
        {"name": "ticks_normalised", "type": _LONG},
        {"name": "duplicates_dropped", "type": _LONG},
        {"name": "gaps_missing", "type": _LONG},
        {"name": "gaps_out_of_order", "type": _LONG},
    ],
}


@dataclass(frozen=True, slots=True)
class NormalizerOptions:
    """Tunables: memory bound and feeds whose sequences skip by design."""

    max_missing_ranges: int = 1024
    conflated_feeds: frozenset[str] = frozenset({"binance.bookTicker"})


class TickNormalizer(Processor):
    """Validate, round and sequence-check raw ticks; see the module docstring."""

    name: ClassVar[str] = "tick_normalizer"
    inputs: ClassVar[tuple[str, ...]] = (TICK_RAW_TOPIC,)
    outputs: ClassVar[tuple[str, ...]] = (TICK_TOPIC, GAP_TOPIC)
    state_schema: ClassVar[dict[str, Any] | None] = STATE_SCHEMA

    def __init__(
        self, instruments: InstrumentRegistry, options: NormalizerOptions | None = None
    ) -> None:
        self._instruments = instruments
        self._options = options or NormalizerOptions()
        self._trackers: dict[tuple[str, str], SequenceTracker] = {}
        self.ticks_normalised = 0
        self.duplicates_dropped = 0
        self.gaps_missing = 0
        self.gaps_out_of_order = 0

    def process(self, record: Record) -> list[Output]:
        raw = record.value
        instrument = self._instrument_of(raw)
        tick = _normalised(raw, instrument)
        feed = _text(raw, "feed")
        sequence = _sequence(raw)
        observation = self._tracker(feed, instrument.symbol).observe(sequence)
        if observation.verdict is Verdict.DUPLICATE:
            self.duplicates_dropped += 1
            return []
        envelope = raw["envelope"]
        tick["envelope"] = caused_by(envelope, event_type=TICK_TOPIC, agent=self.name)
        self.ticks_normalised += 1
        outputs: list[Output] = []
        if observation.verdict is Verdict.JUMP:
            self.gaps_missing += 1
            outputs.append(self._gap(envelope, feed, instrument.symbol, "MISSING", observation))
        elif observation.verdict is Verdict.OUT_OF_ORDER:
            self.gaps_out_of_order += 1
            gap = self._gap(envelope, feed, instrument.symbol, "OUT_OF_ORDER", observation)
            outputs.append(gap)
        outputs.append(Output(topic=TICK_TOPIC, key=instrument.symbol, value=tick))
        return outputs

    def _instrument_of(self, raw: dict[str, Any]) -> Instrument:
        symbol = _text(raw, "instrument")
        instrument = self._instruments.get(symbol)
        if instrument is None:
            raise UnknownInstrumentError(f"unknown instrument {symbol!r}")
        if raw.get("venue") != instrument.venue:
            raise MalformedTickError(
                f"{symbol}: venue {raw.get('venue')!r} is not the instrument's {instrument.venue!r}"
            )
        return instrument

    def _tracker(self, feed: str, symbol: str) -> SequenceTracker:
        key = (feed, symbol)
        tracker = self._trackers.get(key)
        if tracker is None:
            tracker = SequenceTracker(
                max_missing_ranges=self._options.max_missing_ranges,
                conflated=feed in self._options.conflated_feeds,
            )
            self._trackers[key] = tracker
        return tracker

    def _gap(
        self,
        cause: dict[str, Any],
        feed: str,
        symbol: str,
        kind: str,
        observation: Observation,
    ) -> Output:
        value = {
            "envelope": caused_by(cause, event_type=GAP_TOPIC, agent=self.name, discriminator=kind),
            "instrument": symbol,
            "feed": feed,
            "kind": kind,
            "expected_sequence": observation.expected,
            "received_sequence": observation.received,
            "missing_count": observation.missing_count,
        }
        return Output(topic=GAP_TOPIC, key=symbol, value=value)

    def counters(self) -> dict[str, int]:
        """Totals a host or test can export as metrics (also kept in the snapshot)."""
        return {
            "ticks_normalised": self.ticks_normalised,
            "duplicates_dropped": self.duplicates_dropped,
            "gaps_missing": self.gaps_missing,
            "gaps_out_of_order": self.gaps_out_of_order,
        }

    def snapshot(self) -> dict[str, Any]:
        return {
            "feeds": [
                {
                    "feed": feed,
                    "instrument": symbol,
                    "next_expected": tracker.next_expected,
                    "missing": [{"start": a, "end": b} for a, b in tracker.missing],
                }
                for (feed, symbol), tracker in sorted(self._trackers.items())
            ],
            "ticks_normalised": self.ticks_normalised,
            "duplicates_dropped": self.duplicates_dropped,
            "gaps_missing": self.gaps_missing,
            "gaps_out_of_order": self.gaps_out_of_order,
        }

    def restore(self, state: dict[str, Any]) -> None:
        self._trackers = {}
        for entry in state["feeds"]:
            tracker = self._tracker(entry["feed"], entry["instrument"])
            tracker.next_expected = int(entry["next_expected"])
            tracker.missing = [(int(r["start"]), int(r["end"])) for r in entry["missing"]]
        self.ticks_normalised = int(state["ticks_normalised"])
        self.duplicates_dropped = int(state["duplicates_dropped"])
        self.gaps_missing = int(state["gaps_missing"])
        self.gaps_out_of_order = int(state["gaps_out_of_order"])


def _normalised(raw: dict[str, Any], instrument: Instrument) -> dict[str, Any]:
    """A copy of ``raw`` with validated, rounded prices and sizes (envelope not yet set)."""
    tick = dict(raw)
    symbol = instrument.symbol
    kind = raw.get("kind")
    if kind == "TRADE":
        price = _positive(raw, "price", symbol)
        size = instrument.round_size(_positive(raw, "size", symbol))
        if size <= 0:
            raise MalformedTickError(f"{symbol}: trade size {raw['size']} rounds to zero lots")
        tick.update(price=instrument.round_price(price), size=size)
        tick.update(bid_price=None, bid_size=None, ask_price=None, ask_size=None)
        return tick
    if kind != "QUOTE":
        raise MalformedTickError(f"{symbol}: kind must be TRADE or QUOTE, got {kind!r}")
    bid = _side(raw, "bid", instrument)
    ask = _side(raw, "ask", instrument)
    if bid is None and ask is None:
        raise MalformedTickError(f"{symbol}: a quote needs a bid or an ask")
    if bid is not None and ask is not None and bid[0] > ask[0]:
        raise MalformedTickError(f"{symbol}: crossed quote, bid {bid[0]} > ask {ask[0]}")
    tick.update(price=None, size=None, aggressor=None, trade_id=None)
    tick.update(bid_price=bid[0] if bid else None, bid_size=bid[1] if bid else None)
    tick.update(ask_price=ask[0] if ask else None, ask_size=ask[1] if ask else None)
    return tick


def _side(raw: dict[str, Any], side: str, instrument: Instrument) -> tuple[Decimal, Decimal] | None:
    price, size = raw.get(f"{side}_price"), raw.get(f"{side}_size")
    if price is None and size is None:
        return None
    symbol = instrument.symbol
    price = _positive(raw, f"{side}_price", symbol)
    size = raw.get(f"{side}_size")
    if not isinstance(size, Decimal) or not size.is_finite() or size < 0:
        raise MalformedTickError(f"{symbol}: {side}_size must be a non-negative decimal")
    return instrument.round_price(price), instrument.round_size(size)


def _positive(raw: dict[str, Any], name: str, symbol: str) -> Decimal:
    value = raw.get(name)
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise MalformedTickError(f"{symbol}: {name} must be a positive decimal, got {value!r}")
    return value


def _text(raw: dict[str, Any], name: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value:
        raise MalformedTickError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _sequence(raw: dict[str, Any]) -> int:
    value = raw.get("sequence")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedTickError(f"sequence must be a non-negative integer, got {value!r}")
    return value
