"""The risk gate prices an intent as of its own event time, whatever it has read.

Live, market data (broadcast) and intents reach the gate on different topics: the gate may
or may not have read the bar of the intent's own time, and may already have read later ones.
The decision (its ``reference_price``, PRICE_BAND, notional, gross exposure) must be the same
in every such arrival order (docs/risk.md, "Which price").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from streams.decimals import q
from streams.errors import ConfigError, ProcessingError
from streams.exchange import scenario
from streams.exchange.scenario import bar, intent, trade_tick, venue_event
from streams.risk.book import RiskBook
from streams.risk.config import load_risk_config, parse_risk_config
from streams.risk.gate import RiskGate, RiskGateConfig
from streams.risk.prices import LEGACY_TIME, PriceHistory
from streams.runtime.engine import processor_counters
from streams.runtime.harness import Harness
from streams.runtime.processor import Output, Record

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
SECOND = timedelta(seconds=1)
BAND: dict[str, Any] = {"defaults": {"price_band_bps": "100", "max_order_notional": "1050"}}


def _bar(k: int, close: str, instrument: str = "BTC-USD") -> Record:
    """The 1-second bar ending at T0 + k s."""
    start = T0 + (k - 1) * SECOND
    return bar(
        instrument, start, open=close, high=close, low=close, close=close, volume="10",
        interval_seconds=1,
    )  # fmt: skip


def _intent(k: int, reference: str | None, **overrides: Any) -> Record:
    """An intent stamped at the end of bar ``k``, carrying ``reference`` as its bar close."""
    fields: dict[str, Any] = {
        "account": "acc",
        "strategy": "momo",
        "instrument": "BTC-USD",
        "side": "BUY",
        "quantity": "10",
        "at": T0 + k * SECOND,
        "order_type": "LIMIT",
        "limit_price": "100.5",
    }
    fields.update(overrides)
    record = intent(**fields)
    record.value["reference_price"] = None if reference is None else q(reference)
    return record


def _gate(limits: dict[str, Any] | None = None, config: RiskGateConfig | None = None) -> Harness:
    gate = RiskGate(parse_risk_config(BAND if limits is None else limits), config)
    return Harness(gate, fresh=lambda: RiskGate(gate.limits, gate.config))


def _decisions(records: Sequence[Record], **gate_args: Any) -> list[Output]:
    gate = _gate(**gate_args)
    decided = [o for r in records for o in gate.process(r) if r.topic == "strategy.intent"]
    gate.state()  # the state round-trips through Avro as well
    return decided


def _codes(output: Output) -> list[str]:
    return [r["code"] for r in output.value["reasons"]]


def test_an_intent_is_decided_the_same_whether_its_own_bar_was_read_before_or_after() -> None:
    # bar 1 closes at 90, bar 2 (the intent's own) at 100, bar 3 (the future) at 120
    orders = {
        "own bar read first": [_bar(1, "90"), _bar(2, "100"), _intent(2, "100")],
        "own bar read after": [_bar(1, "90"), _intent(2, "100"), _bar(2, "100")],
        "own bar never read": [_bar(1, "90"), _intent(2, "100")],
        "future bar read first": [_bar(1, "90"), _bar(2, "100"), _bar(3, "120"), _intent(2, "100")],
        "only future bars": [_bar(3, "120"), _bar(4, "130"), _intent(2, "100")],
    }
    decided = {name: _decisions(records) for name, records in orders.items()}
    first = decided["own bar read first"]
    assert [d.topic for d in first] == ["risk.approved"]
    # priced at the intent's own bar close: 100.5 is 50 bps from 100 (from 90 it would be
    # 1166 bps, from 120 1625 bps: PRICE_BAND either way)
    assert first[0].value["reference_price"] == q("100")
    for name, outputs in decided.items():
        assert outputs == first, name


def test_an_intent_without_a_reference_price_never_uses_a_later_market_price() -> None:
    past, own, future = _bar(1, "99"), _bar(2, "100"), _bar(3, "150")
    orders = [
        [past, own, future, _intent(2, None)],
        [future, own, past, _intent(2, None)],
        [past, future, _intent(2, None), own],
    ]
    decided = [_decisions(o) for o in orders]
    # the first two saw the intent's own bar (stamped at the intent's time): priced at 100
    assert decided[0] == decided[1]
    assert decided[0][0].value["reference_price"] == q("100")
    assert decided[0][0].topic == "risk.approved"
    # the third decided before reading it: the latest price at or before the intent is 99,
    # never the 150 of the bar after it (100.5 is 151 bps from 99: PRICE_BAND)
    assert decided[2][0].value["reference_price"] == q("99")
    assert _codes(decided[2][0]) == ["PRICE_BAND"]


def test_only_later_prices_means_no_reference_price() -> None:
    out = _decisions([_bar(3, "100"), _intent(2, None)])[0]
    assert _codes(out) == ["NO_REFERENCE_PRICE"]
    assert out.value["reference_price"] is None


def test_the_intents_own_price_wins_over_a_trade_of_the_same_time() -> None:
    at = T0 + 2 * SECOND
    same_time = trade_tick("BTC-USD", "97", "1", at)
    before = _decisions([same_time, _intent(2, "100")])
    after = _decisions([_intent(2, "100"), same_time])
    assert before == after
    assert before[0].value["reference_price"] == q("100")


def test_a_market_order_is_priced_at_the_reference_for_the_notional_limit() -> None:
    market = {"order_type": "MARKET", "limit_price": None, "quantity": "10"}
    # 10 x 100 = 1000 <= 1050 with the intent's own price; 10 x 110 (a later bar) would breach
    for records in (
        [_bar(2, "100"), _bar(3, "110"), _intent(2, "100", **market)],
        [_intent(2, "100", **market), _bar(2, "100"), _bar(3, "110")],
    ):
        out = _decisions(records)[0]
        assert out.topic == "risk.approved"
        assert out.value["reference_price"] == q("100")


def test_gross_exposure_prices_other_instruments_as_of_the_intent() -> None:
    limits = {"defaults": {"max_gross_exposure": "2500"}}
    command = {
        "client_order_id": "filled-eth",
        "account": "acc",
        "strategy": "other",
        "instrument": "ETH-USD",
        "venue": "SIM",
        "side": "BUY",
        "quantity": q("10"),
    }
    fill = venue_event(command, "FILL", T0, cumulative="10", fill_quantity="10", fill_price="100")
    eth_then, eth_later = _bar(1, "100", "ETH-USD"), _bar(3, "500", "ETH-USD")
    market = {"order_type": "MARKET", "limit_price": None, "quantity": "10"}
    # 10 ETH x 100 + 10 BTC x 100 = 2000 <= 2500; ETH at the later 500 would give 6000
    for records in (
        [fill, eth_then, _intent(2, "100", **market)],
        [fill, eth_then, eth_later, _intent(2, "100", **market)],
    ):
        out = _decisions(records, limits=limits)[0]
        assert out.topic == "risk.approved", out.value["reasons"]


def test_the_price_history_is_bounded_and_ordered_by_event_time() -> None:
    history = PriceHistory(capacity=3)
    for k, price in ((4, "104"), (2, "102"), (3, "103"), (1, "101"), (5, "105")):
        history.record("X", T0 + k * SECOND, q(price))
    # kept: the three latest by event time (3, 4, 5), whatever the arrival order
    assert history.to_json()["X"] == [
        [int((T0 + k * SECOND).timestamp() * 1_000_000), f"{100 + k}.000000000"] for k in (3, 4, 5)
    ]
    assert history.at_or_before("X", T0 + 4 * SECOND + SECOND / 2) == q("104")
    assert history.at_or_before("X", T0 + 2 * SECOND) is None  # evicted: never a later one
    history.record("X", T0 + 4 * SECOND, q("99"))  # same event time: the later read replaces
    assert history.at_or_before("X", T0 + 4 * SECOND) == q("99")
    assert history.latest("X") == q("105")


def test_an_intent_older_than_every_kept_price_has_no_reference_price() -> None:
    config = RiskGateConfig(price_history=2)
    out = _decisions(
        [_bar(1, "99"), _bar(3, "100"), _bar(4, "101"), _intent(2, None)], config=config
    )
    assert _codes(out[0]) == ["NO_REFERENCE_PRICE"]


def test_the_price_history_survives_snapshot_and_restore() -> None:
    records = [_bar(1, "99"), _bar(3, "150"), _bar(2, "100")]
    whole, restored = _gate(), _gate()
    for record in records:
        whole.process(record)
        restored.process(record)
    restored.state()
    for k in (2, 3):
        assert whole.process(_intent(k, None)) == restored.process(_intent(k, None))
    assert whole.state() == restored.state()


def test_a_book_from_before_stamped_prices_restores_its_last_prices_as_the_oldest() -> None:
    legacy = json.dumps(
        {"positions": [], "open_orders": {}, "closed": [], "last_prices": {"BTC-USD": "100"}}
    )
    book = RiskBook.from_json(legacy)
    assert book.prices.to_json() == {"BTC-USD": [[0, "100.000000000"]]}
    assert book.price_at("BTC-USD", T0) == q("100")
    book.record_price("BTC-USD", T0 - SECOND, q("98"))
    assert book.price_at("BTC-USD", T0) == q("98")  # any stamped price is newer than it
    assert book.price_at("BTC-USD", LEGACY_TIME) == q("100")


def test_a_legacy_gate_snapshot_restores_and_decides() -> None:
    gate = _gate()
    state = gate.state()
    book = json.loads(state["book"])
    del book["prices"]
    book["last_prices"] = {"BTC-USD": "100"}
    fresh = RiskGate(parse_risk_config(BAND))
    fresh.restore({**state, "book": json.dumps(book)})
    out = fresh.process(_intent(2, None))[0]
    assert out.topic == "risk.approved"
    assert out.value["reference_price"] == q("100")


def test_a_book_without_prices_is_refused_clearly() -> None:
    broken = json.dumps({"positions": [], "open_orders": {}, "closed": []})
    with pytest.raises(ProcessingError, match="neither 'prices' nor 'last_prices'"):
        RiskBook.from_json(broken)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: RiskGateConfig(price_history=0), "risk.price_history"),
        (lambda: RiskGateConfig(pending_ttl_seconds=0), "risk.pending_ttl_seconds"),
    ],
)
def test_a_bad_gate_config_names_its_field(build: Callable[[], object], field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        build()


def test_counters_report_active_halts_and_kill_switches() -> None:
    gate = RiskGate(load_risk_config())
    assert processor_counters(gate)["kill_switches_active"] == 0
    gate.process(scenario.control("KILL", "GLOBAL", datetime(2024, 3, 1, tzinfo=UTC)))
    counters = processor_counters(gate)
    assert counters["kill_switches_active"] == 1
    assert counters["risk_halts_active"] == 0
