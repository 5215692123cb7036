"""TickNormalizer: validation, rounding, gaps, duplicates, ids and snapshot/restore."""

from __future__ import annotations

from decimal import Decimal

import pytest
from streams.events import derive_event_id
from streams.marketdata.errors import MalformedTickError, UnknownInstrumentError
from streams.marketdata.instruments import InstrumentRegistry
from streams.marketdata.normalizer import NormalizerOptions, TickNormalizer
from streams.runtime.harness import Harness, run_processor
from tests.unit.marketdata.md_unit_support import quote, raw_record, trade


def test_rounds_prices_and_sizes_to_the_instrument_increments(
    instruments: InstrumentRegistry,
) -> None:
    raw = trade(1, price="65000.016", size="0.123456", instrument="BTC-USD", venue="BINANCE")
    result = run_processor(TickNormalizer(instruments), [raw_record(raw)])
    [tick] = result.values("md.tick")
    assert tick["price"] == Decimal("65000.020000000")
    assert tick["size"] == Decimal("0.123460000")


def test_normalised_id_derives_from_the_raw_id(instruments: InstrumentRegistry) -> None:
    raw = trade(1)
    [tick] = run_processor(TickNormalizer(instruments), [raw_record(raw)]).values()
    raw_id = raw["envelope"]["event_id"]
    assert tick["envelope"]["event_id"] == derive_event_id(raw_id, "md.tick", "")
    assert tick["envelope"]["causation_id"] == raw_id
    assert tick["envelope"]["event_time"] == raw["envelope"]["event_time"]
    assert tick["envelope"]["source"]["agent"] == "tick_normalizer"


def test_quote_keeps_one_sided_books_and_clears_trade_fields(
    instruments: InstrumentRegistry,
) -> None:
    [tick] = run_processor(TickNormalizer(instruments), [raw_record(quote(1, ask=None))]).values()
    assert tick["bid_price"] == Decimal("99.990000000")
    assert tick["ask_price"] is None
    assert tick["price"] is None


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (trade(1, instrument="NOPE"), UnknownInstrumentError),
        (trade(1, venue="XNYS"), MalformedTickError),
        (trade(1, price="-1"), MalformedTickError),
        (trade(1, size="0.4"), MalformedTickError),
        (quote(1, bid="100.02", ask="100.01"), MalformedTickError),
        (quote(1, bid=None, ask=None), MalformedTickError),
        ({**trade(1), "sequence": -5}, MalformedTickError),
        ({**trade(1), "kind": "AUCTION"}, MalformedTickError),
    ],
    ids=["unknown", "venue", "price", "lot", "crossed", "empty", "sequence", "kind"],
)
def test_malformed_ticks_raise_and_leave_the_state_alone(
    instruments: InstrumentRegistry, value: dict[str, object], error: type[Exception]
) -> None:
    normalizer = TickNormalizer(instruments)
    with pytest.raises(error):
        normalizer.process(raw_record(value))
    assert normalizer.snapshot()["feeds"] == []
    assert normalizer.process(raw_record(trade(1)))  # the feed still starts cleanly


def test_jump_emits_missing_gap_then_late_sequence_is_out_of_order(
    instruments: InstrumentRegistry,
) -> None:
    records = [raw_record(trade(s, seconds=s)) for s in (1, 2, 5, 3)]
    result = run_processor(TickNormalizer(instruments), records)
    gaps = result.values("md.gap")
    assert [(g["kind"], g["expected_sequence"], g["received_sequence"]) for g in gaps] == [
        ("MISSING", 3, 5),
        ("OUT_OF_ORDER", 6, 3),
    ]
    assert gaps[0]["missing_count"] == 2
    assert [t["sequence"] for t in result.values("md.tick")] == [1, 2, 5, 3]
    assert result.state["feeds"][0]["missing"] == [{"start": 4, "end": 5}]


def test_duplicates_are_dropped_and_counted(instruments: InstrumentRegistry) -> None:
    normalizer = TickNormalizer(instruments)
    records = [raw_record(trade(s)) for s in (1, 2, 2, 1, 3, 3)]
    result = run_processor(normalizer, records)
    assert [t["sequence"] for t in result.values("md.tick")] == [1, 2, 3]
    assert result.values("md.gap") == []
    assert normalizer.counters()["duplicates_dropped"] == 3
    assert result.state["duplicates_dropped"] == 3


def test_out_of_order_sequence_arriving_twice_is_a_duplicate_the_second_time(
    instruments: InstrumentRegistry,
) -> None:
    normalizer = TickNormalizer(instruments)
    result = run_processor(normalizer, [raw_record(trade(s)) for s in (1, 4, 2, 2)])
    assert [t["sequence"] for t in result.values("md.tick")] == [1, 4, 2]
    assert normalizer.duplicates_dropped == 1


def test_sequences_are_tracked_per_feed_and_instrument(instruments: InstrumentRegistry) -> None:
    records = [
        raw_record(trade(1, feed="a")),
        raw_record(trade(1, feed="b")),
        raw_record(trade(1, feed="a", instrument="MSFT")),
        raw_record(trade(2, feed="a")),
    ]
    result = run_processor(TickNormalizer(instruments), records)
    assert len(result.values("md.tick")) == 4
    assert result.values("md.gap") == []


def test_conflated_feed_jumps_are_not_gaps_but_stale_updates_are_dropped(
    instruments: InstrumentRegistry,
) -> None:
    normalizer = TickNormalizer(instruments, NormalizerOptions(conflated_feeds=frozenset({"book"})))
    records = [raw_record(quote(s, feed="book")) for s in (10, 17, 40, 39)]
    result = run_processor(normalizer, records)
    assert [t["sequence"] for t in result.values("md.tick")] == [10, 17, 40]
    assert result.values("md.gap") == []
    assert normalizer.duplicates_dropped == 1


def test_missing_ranges_are_bounded_oldest_forgotten(instruments: InstrumentRegistry) -> None:
    normalizer = TickNormalizer(instruments, NormalizerOptions(max_missing_ranges=2))
    for sequence in (1, 3, 5, 7):
        normalizer.process(raw_record(trade(sequence)))
    assert normalizer.snapshot()["feeds"][0]["missing"] == [
        {"start": 4, "end": 5},
        {"start": 6, "end": 7},
    ]
    assert normalizer.process(raw_record(trade(2))) == []  # forgotten: treated as a duplicate
    assert len(normalizer.process(raw_record(trade(4)))) == 2  # remembered: gap + tick


def test_restore_continues_the_sequence_checks(instruments: InstrumentRegistry) -> None:
    harness = Harness(TickNormalizer(instruments), fresh=lambda: TickNormalizer(instruments))
    for sequence in (1, 2, 4):
        harness.process(raw_record(trade(sequence)))
    state = harness.state()  # Avro round trip into a fresh instance
    assert state["gaps_missing"] == 1
    restored = harness.processor
    assert restored.process(raw_record(trade(2))) == []
    kinds = [o.topic for o in restored.process(raw_record(trade(3)))]
    assert kinds == ["md.gap", "md.tick"]
