"""Lookahead guard: a strategy never sees data stamped after its decision time.

A spy strategy records, for every decision, the latest market-data event time the loop had
delivered to anyone; it must be the decision's own bar end. A second check cuts the input:
every intent decided up to a cut-off must be the same whether or not later bars exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from streams.backtest.chain import ChainConfig, run_chain
from streams.backtest.engine import EventLoop
from streams.decimals import q
from streams.events import derive_event_id, envelope
from streams.exchange.config import parse_exchange_config
from streams.risk.config import parse_risk_config
from streams.runtime.processor import Output, Processor, Record
from streams.strategy.base import Bar, BarContext, IntentRequest, Strategy

T0 = datetime(2024, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def _bar(index: int, close: Decimal) -> Record:
    start = T0 + index * DAY
    value = {
        "envelope": envelope(
            event_type="md.bar",
            event_id=derive_event_id("lookahead", index),
            event_time=start + DAY,
            ingest_time=start + DAY,
            agent="test",
        ),
        "instrument": "SPX",
        "venue": "INDEX",
        "interval_seconds": 86_400,
        "start": start,
        "end": start + DAY,
        "open": q(close - 1),
        "high": q(close + 2),
        "low": q(close - 2),
        "close": q(close),
        "volume": q(1_000_000),
        "vwap": None,
        "trade_count": 0,
        "revision": 0,
    }
    return Record("md.bar", "SPX", value, offset=index)


def _bars(count: int) -> Iterator[Record]:
    for index in range(count):
        yield _bar(index, Decimal(100 + (index * 7) % 23 - (index % 5) * 3))


class Spy(Strategy):
    """Alternates long/flat on a fast/slow SMA comparison and records what it saw when."""

    name = "spy"
    version = 1
    instruments = ("SPX",)
    seen: ClassVar[list[tuple[datetime, datetime | None]]] = []
    latest_market_time: ClassVar[list[datetime]] = []

    def __init__(self) -> None:
        self.indicators = {"fast": "sma:3", "slow": "sma:8"}

    def on_bar(self, ctx: BarContext, bar: Bar) -> list[IntentRequest]:
        latest = self.latest_market_time[-1] if self.latest_market_time else None
        self.seen.append((bar.end, latest))
        fast, slow = ctx.value("fast"), ctx.value("slow")
        if fast is None or slow is None:
            return []
        if ctx.is_flat and fast > slow:
            return [IntentRequest("BUY", Decimal(1), "in", "fast above slow")]
        if ctx.is_long and fast < slow:
            return [IntentRequest("SELL", Decimal(1), "out", "fast below slow")]
        return []


def _config() -> ChainConfig:
    return ChainConfig(
        risk=parse_risk_config({}),
        exchange=parse_exchange_config({"fill_on": "bars"}),
    )


def _market_watch(record: Record) -> None:
    if record.topic == "md.bar":
        Spy.latest_market_time.append(record.value["envelope"]["event_time"])


def test_every_decision_sees_no_bar_later_than_its_own() -> None:
    Spy.seen.clear()
    Spy.latest_market_time.clear()
    result, _ = run_chain(
        _bars(60), [Spy()], _config(), source_topics={"md.bar"}, observers=[_market_watch]
    )
    assert len(Spy.seen) == 60
    for decided_at, latest_delivered in Spy.seen:
        assert latest_delivered == decided_at
    intents = result.values("strategy.intent")
    assert intents, "the spy trades"
    for intent in intents:
        assert intent["envelope"]["event_time"] in {end for end, _ in Spy.seen}


def test_intents_up_to_a_cut_off_do_not_depend_on_later_bars() -> None:
    full, _ = run_chain(_bars(60), [Spy()], _config(), source_topics={"md.bar"})
    cut_off = 35
    prefix, _ = run_chain(_bars(cut_off), [Spy()], _config(), source_topics={"md.bar"})
    last_end = T0 + cut_off * DAY
    early = [v for v in full.values("strategy.intent") if v["envelope"]["event_time"] <= last_end]
    assert early, "intents before the cut-off exist"
    assert early == prefix.values("strategy.intent")


class _ClockWatch(Processor):
    """Fails when it is handed a record stamped after the loop's clock."""

    name: ClassVar[str] = "clock_watch"
    inputs: ClassVar[tuple[str, ...]] = ("md.bar", "indicator.value")
    outputs: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self.loop: EventLoop | None = None
        self.checked = 0

    def process(self, record: Record) -> list[Output]:
        assert self.loop is not None
        now = self.loop.now
        assert now is not None
        assert record.value["envelope"]["event_time"] <= now
        self.checked += 1
        return []


def test_no_record_is_delivered_ahead_of_the_loop_clock() -> None:
    watch = _ClockWatch()
    echo: list[dict[str, Any]] = []
    loop = EventLoop([watch], observers=[lambda r: echo.append(r.value)])
    watch.loop = loop
    loop.run(_bars(20))
    assert watch.checked == 20
    assert [v["envelope"]["event_time"] for v in echo] == sorted(
        v["envelope"]["event_time"] for v in echo
    )
