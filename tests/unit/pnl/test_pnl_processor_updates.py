"""The PnL processor: updates per scope, daily PnL, high-water mark, dedupe, snapshots."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from streams.decimals import q
from streams.errors import ProcessingError
from streams.exchange.scenario import bar, trade_tick, venue_event
from streams.pnl.processor import PnlProcessor
from streams.runtime.harness import Harness
from streams.runtime.processor import Output, Record

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


def _harness() -> Harness:
    return Harness(PnlProcessor(), fresh=PnlProcessor)


def _fill(
    side: str,
    quantity: str,
    price: str,
    at: datetime,
    trade_id: str,
    *,
    fee: str = "0",
    strategy: str = "momo",
    account: str = "acc",
    instrument: str = "BTC-USD",
) -> Record:
    order = {
        "client_order_id": f"c-{trade_id}",
        "account": account,
        "strategy": strategy,
        "instrument": instrument,
        "venue": "SIM",
        "side": side,
        "quantity": q(quantity),
    }
    return venue_event(
        order,
        "FILL",
        at,
        cumulative=quantity,
        fill_quantity=quantity,
        fill_price=price,
        trade_id=trade_id,
        fee=fee,
    )


def _by_key(outputs: list[Output]) -> dict[str, dict[str, Any]]:
    return {str(o.key): o.value for o in outputs if o.topic == "pnl.update"}


def test_a_fill_updates_every_scope_and_the_position_snapshot() -> None:
    harness = _harness()
    out = harness.process(_fill("BUY", "10", "100", T0, "t1", fee="0.5"))
    updates = _by_key(out)
    assert set(updates) == {
        "acc:momo:BTC-USD",
        "STRATEGY:momo",
        "ACCOUNT:acc",
        "GLOBAL",
    }
    position = updates["acc:momo:BTC-USD"]
    assert (position["scope"], position["quantity"], position["average_cost"]) == (
        "POSITION",
        q(10),
        q(100),
    )
    # marked at the fill price: unrealized 0, net = -fees
    assert (position["net_pnl"], position["daily_pnl"], position["drawdown"]) == (
        q("-0.5"),
        q("-0.5"),
        q("0.5"),
    )
    assert updates["GLOBAL"]["account"] is None
    assert updates["STRATEGY:momo"]["strategy"] == "momo"
    snapshots = [o for o in out if o.topic == "position.snapshot"]
    assert [s.key for s in snapshots] == ["acc:momo:BTC-USD"]
    assert snapshots[0].value["gross_exposure"] == q(1000)


def test_marks_move_unrealized_pnl_and_identical_re_marks_are_skipped() -> None:
    harness = _harness()
    harness.process(_fill("BUY", "10", "100", T0, "t1"))
    out = harness.process(trade_tick("BTC-USD", "103", "1", T0 + timedelta(seconds=1)))
    # 10 x (103 - 100) = 30
    assert _by_key(out)["GLOBAL"]["unrealized_pnl"] == q(30)
    assert harness.process(trade_tick("BTC-USD", "103", "2", T0 + timedelta(seconds=2))) == []
    bar_close = bar("BTC-USD", T0, open="103", high="106", low="102", close="105", volume="9")
    assert _by_key(harness.process(bar_close))["acc:momo:BTC-USD"]["mark_price"] == q(105)


def test_other_instruments_and_flat_positions_emit_nothing_on_marks() -> None:
    harness = _harness()
    harness.process(_fill("BUY", "1", "100", T0, "t1"))
    harness.process(_fill("SELL", "1", "101", T0, "t2"))
    assert harness.process(trade_tick("BTC-USD", "150", "1", T0 + timedelta(seconds=1))) == []
    assert harness.process(trade_tick("ETH-USD", "10", "1", T0 + timedelta(seconds=1))) == []


def test_a_duplicate_fill_is_booked_once() -> None:
    harness = _harness()
    fill = _fill("BUY", "10", "100", T0, "t1")
    harness.process(fill)
    assert harness.process(fill) == []
    processor = harness.processor
    assert isinstance(processor, PnlProcessor)
    assert processor.duplicate_fills == 1
    assert processor.positions["acc:momo:BTC-USD"].quantity == q(10)


def test_aggregates_sum_strategies_and_accounts() -> None:
    harness = _harness()
    harness.process(_fill("BUY", "10", "100", T0, "t1", strategy="a"))
    out = harness.process(_fill("SELL", "5", "20", T0, "t2", strategy="b", instrument="ETH-USD"))
    updates = _by_key(out)
    assert "STRATEGY:a" not in updates  # untouched scope
    # gross 10 x 100 + 5 x 20 = 1100; net exposure 1000 - 100 = 900
    assert (updates["ACCOUNT:acc"]["gross_exposure"], updates["GLOBAL"]["net_exposure"]) == (
        q(1100),
        q(900),
    )


def test_daily_pnl_restarts_each_utc_day_while_the_high_water_mark_persists() -> None:
    harness = _harness()
    harness.process(_fill("BUY", "10", "100", T0, "t1"))
    day_one = _by_key(harness.process(trade_tick("BTC-USD", "110", "1", T0)))["GLOBAL"]
    # +100 on day one: HWM 100, drawdown 0
    assert (day_one["daily_pnl"], day_one["high_water_mark"], day_one["drawdown"]) == (
        q(100),
        q(100),
        q(0),
    )
    next_day = datetime(2024, 1, 3, 0, 0, 1, tzinfo=UTC)
    day_two = _by_key(harness.process(trade_tick("BTC-USD", "104", "1", next_day)))["GLOBAL"]
    # net 40: daily 40 - 100 = -60; HWM stays 100; drawdown 100 - 40 = 60
    assert day_two["trading_day"] == date(2024, 1, 3)
    assert (day_two["net_pnl"], day_two["daily_pnl"]) == (q(40), q(-60))
    assert (day_two["high_water_mark"], day_two["drawdown"]) == (q(100), q(60))


def test_realized_pnl_of_a_round_trip_with_fees() -> None:
    harness = _harness()
    harness.process(_fill("BUY", "4", "250", T0, "t1", fee="0.5"))
    out = harness.process(_fill("SELL", "4", "262.5", T0, "t2", fee="0.525"))
    position = _by_key(out)["acc:momo:BTC-USD"]
    # 4 x (262.5 - 250) = 50 realized; fees 1.025; net 48.975
    assert (position["realized_pnl"], position["fees"], position["net_pnl"]) == (
        q(50),
        q("1.025"),
        q("48.975"),
    )
    assert (position["quantity"], position["average_cost"]) == (q(0), q(0))


def test_continuing_after_restore_equals_an_uninterrupted_run() -> None:
    records = [
        _fill("BUY", "10", "100", T0, "t1", fee="1"),
        trade_tick("BTC-USD", "101", "1", T0 + timedelta(seconds=1)),
        _fill("SELL", "15", "102", T0 + timedelta(seconds=2), "t2"),
        trade_tick("BTC-USD", "99", "1", T0 + timedelta(seconds=3)),
        trade_tick("BTC-USD", "99", "1", T0 + timedelta(seconds=4)),
        _fill("BUY", "5", "98", T0 + timedelta(seconds=5), "t3"),
    ]
    whole, halves = _harness(), _harness()
    expected = [o for r in records for o in whole.process(r)]
    got = [o for r in records[:3] for o in halves.process(r)]
    halves.state()
    got += [o for r in records[3:] for o in halves.process(r)]
    assert got == expected
    assert whole.state() == halves.state()


def test_a_fill_without_a_price_is_refused_and_changes_nothing() -> None:
    harness = _harness()
    broken = _fill("BUY", "1", "100", T0, "t1")
    broken.value["fill_price"] = None
    with pytest.raises(ProcessingError, match="lacks fill_quantity or fill_price"):
        harness.process(broken)
    processor = harness.processor
    assert isinstance(processor, PnlProcessor)
    assert processor.positions == {}
    assert list(processor.trade_ids) == []


def test_non_fill_events_do_not_move_positions() -> None:
    harness = _harness()
    ack = _fill("BUY", "1", "100", T0, "t1")
    ack.value["kind"] = "ACK"
    assert harness.process(ack) == []
