"""The trading chain on the embedded broker: four agent processes, one SIGKILLed mid-stream.

intents -> risk_gate -> risk.approved -> order_manager -> order.command -> sim_exchange ->
order.event -> pnl (and back into the gate and the order manager). The order manager is
SIGKILLed while approvals stream in and restarted: the venue must never see an order twice,
and the final positions must equal those of an uninterrupted in-process run of the same
processors over the same inputs. A second test turns the kill switch on: afterwards, zero
approvals.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml
from streams.exchange.config import parse_exchange_config
from streams.exchange.scenario import control, intent, trade_tick
from streams.exchange.simulator import SimExchange
from streams.orders.manager import OrderManager, OrderManagerConfig
from streams.pnl.processor import PnlProcessor
from streams.risk.config import parse_risk_config
from streams.risk.gate import RiskGate
from streams.runtime.processor import Record
from tests.integration.trading.trading_support import (
    EXCHANGE_YAML,
    RISK_YAML,
    InProcessChain,
    TradingEnv,
)

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
ACCOUNT = "main"
INSTRUMENTS = ("BTC-USD", "ETH-USD", "SOL-USD", "ADA-USD")


def _intents(first: int, count: int) -> list[Record]:
    return [
        intent(
            account=ACCOUNT,
            strategy=f"s{n % 2}",
            instrument=INSTRUMENTS[n % len(INSTRUMENTS)],
            side="SELL" if n % 4 == 0 else "BUY",
            quantity=1 + n % 5,
            at=T0 + timedelta(seconds=1, milliseconds=n),
            number=n,
        )
        for n in range(first, first + count)
    ]


def _ticks(n: int) -> list[Record]:
    """One trade per instrument (md.tick has several partitions: they land on different ones)."""
    at = T0 + timedelta(seconds=n)
    return [
        trade_tick(instrument, 100 + 10 * i, 1000, at, sequence=n)
        for i, instrument in enumerate(INSTRUMENTS)
    ]


def _decisions(env: TradingEnv, wanted: set[str], timeout: float = 60.0) -> list[dict[str, Any]]:
    """Decisions (approved and rejected) for the intent ids in ``wanted``."""
    found: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and set(found) != wanted:
        for topic in ("risk.approved", "risk.rejected"):
            for value in env.read(topic, lambda _: True, timeout=1.0):
                if value["intent_id"] in wanted:
                    found[value["intent_id"]] = value
    assert set(found) == wanted, f"{len(wanted) - len(found)} intents got no decision"
    return list(found.values())


def _wait_for_price(env: TradingEnv) -> None:
    """Probe intents (another account) until the gate approves one per instrument: it has
    every instrument's last price, whichever md.tick partition it came from."""
    env.produce(_ticks(0))
    waiting = list(INSTRUMENTS)
    for n in range(60):
        probe = intent(
            account="probe",
            strategy="probe",
            instrument=waiting[0],
            side="BUY",
            quantity=1,
            at=T0 + timedelta(milliseconds=n),
            number=n,
        )
        env.produce([probe])
        decision = _decisions(env, {probe.value["envelope"]["event_id"]})[0]
        if decision["outcome"] == "APPROVED":
            waiting.pop(0)
            if not waiting:
                return
        else:
            time.sleep(0.5)
    raise AssertionError(f"the risk gate never saw the market data of {waiting}")


def _uninterrupted(records: list[Record]) -> dict[str, dict[str, Any]]:
    """Latest position snapshot per key of an in-process run of the same processors."""
    chain = InProcessChain(
        RiskGate(parse_risk_config(yaml.safe_load(RISK_YAML))),
        OrderManager(OrderManagerConfig()),
        SimExchange(parse_exchange_config(yaml.safe_load(EXCHANGE_YAML))),
        PnlProcessor(),
    )
    for record in records:
        chain.feed(record)
    return {
        f"{v['account']}:{v['strategy']}:{v['instrument']}": v
        for v in chain.values("position.snapshot")
    }


def _position(value: dict[str, Any]) -> tuple[Any, ...]:
    return (value["quantity"], value["average_cost"], value["realized_pnl"], value["fees"])


def test_order_manager_killed_mid_stream_leaves_no_duplicate_orders_and_equal_positions(
    trading_env: TradingEnv,
) -> None:
    env = trading_env
    env.start_all()
    _wait_for_price(env)
    first, second = _intents(0, 20), _intents(20, 20)
    env.produce(first)

    def enough_news(values: list[dict[str, Any]]) -> bool:
        news = [v for v in values if v["command"] == "NEW" and v["account"] == ACCOUNT]
        return len(news) >= 6

    env.read("order.command", enough_news, timeout=60)
    env.kill("order_manager")
    env.produce(second)
    env.start("order_manager")
    wanted = {r.value["envelope"]["event_id"] for r in first + second}
    decisions = _decisions(env, wanted)
    assert Counter(d["outcome"] for d in decisions) == Counter({"APPROVED": 40})

    def all_filled(values: list[dict[str, Any]]) -> bool:
        filled = {
            v["client_order_id"] for v in values if v["kind"] == "FILL" and v["account"] == ACCOUNT
        }
        return len(filled) >= len(decisions)

    events: list[dict[str, Any]] = []
    for n in range(1, 120):  # keep the market trading until every order has filled
        env.produce(_ticks(1 + n))
        events = env.read("order.event", all_filled, timeout=1.0)
        if all_filled(events):
            break
    mine = [e for e in events if e["account"] == ACCOUNT]
    acks = Counter(e["client_order_id"] for e in mine if e["kind"] == "ACK")
    assert len(acks) == len(decisions), "one order per approval"
    assert max(acks.values()) == 1, "the venue never accepted an order twice"
    assert not [e for e in mine if e["kind"] == "REJECTED"]

    expected = _uninterrupted([*_ticks(0), *first, *second, *_ticks(2)])
    expected = {k: v for k, v in expected.items() if k.startswith(f"{ACCOUNT}:")}

    def all_positions(values: list[dict[str, Any]]) -> bool:
        latest = {f"{v['account']}:{v['strategy']}:{v['instrument']}": v for v in values}
        return all(
            k in latest and _position(latest[k]) == _position(v) for k, v in expected.items()
        )

    snapshots = env.read("position.snapshot", all_positions, timeout=60)
    latest = {f"{v['account']}:{v['strategy']}:{v['instrument']}": v for v in snapshots}
    assert {k: _position(latest[k]) for k in expected} == {
        k: _position(v) for k, v in expected.items()
    }
    assert "recovered from snapshot" in env.logs("order_manager")
    assert "Traceback" not in env.logs()


def test_after_the_kill_switch_zero_approvals(trading_env: TradingEnv) -> None:
    env = trading_env
    env.start_all()
    _wait_for_price(env)
    before = _intents(0, 10)
    env.produce(before)
    first = _decisions(env, {r.value["envelope"]["event_id"] for r in before})
    assert {d["outcome"] for d in first} == {"APPROVED"}
    env.produce([control("KILL", "GLOBAL", T0 + timedelta(seconds=2))])
    for n in range(60):  # the first rejection for the kill switch marks "processed"
        probe = intent(
            account="probe",
            strategy="probe",
            instrument="BTC-USD",
            side="BUY",
            quantity=1,
            at=T0 + timedelta(seconds=3, milliseconds=n),
            number=100 + n,
        )
        env.produce([probe])
        decision = _decisions(env, {probe.value["envelope"]["event_id"]})[0]
        if decision["outcome"] == "REJECTED":
            assert [r["code"] for r in decision["reasons"]] == ["KILL_SWITCH"]
            break
    else:
        raise AssertionError("the kill switch never reached the risk gate")
    after = _intents(100, 20)
    env.produce(after)
    decisions = _decisions(env, {r.value["envelope"]["event_id"] for r in after})
    assert [d for d in decisions if d["outcome"] == "APPROVED"] == []
    assert all([r["code"] for r in d["reasons"]] == ["KILL_SWITCH"] for d in decisions)

    def all_canceled(values: list[dict[str, Any]]) -> bool:
        canceled = [v for v in values if v["kind"] == "CANCELED" and v["account"] == ACCOUNT]
        return len(canceled) >= 10

    events = env.read("order.event", all_canceled, timeout=60)
    assert all_canceled(events), "the order manager canceled the open orders"
