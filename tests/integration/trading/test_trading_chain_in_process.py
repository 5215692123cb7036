"""The four trading processors wired together in process (no broker).

intents -> risk gate -> risk.approved -> order manager -> order.command -> simulated exchange
-> order.event -> PnL (and back into the gate and the order manager), run on the backtest's
event loop; then the order manager is "killed" mid-stream and restored from its last snapshot
with the log re-delivered since, and everything must end as in an uninterrupted run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from streams.codec import AvroCodec, LocalRegistry
from streams.codec.schemas import SchemaStore
from streams.decimals import q
from streams.exchange.config import parse_exchange_config
from streams.exchange.scenario import control, intent, trade_tick
from streams.exchange.simulator import SimExchange
from streams.orders.manager import OrderManager, OrderManagerConfig
from streams.pnl.processor import PnlProcessor
from streams.risk.config import parse_risk_config
from streams.risk.gate import RiskGate
from streams.runtime.processor import Record
from tests.integration.trading.trading_support import InProcessChain

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
LIMITS = {"defaults": {"max_position": "30", "max_order_quantity": "10", "price_band_bps": "200"}}
EXCHANGE = {"latency_ms": 100, "max_volume_share": "0.5", "fees": {"taker_bps": "5"}}
SIDES = ("BUY", "BUY", "SELL", "BUY", "SELL", "SELL", "BUY")


def _processors() -> tuple[RiskGate, OrderManager, SimExchange, PnlProcessor]:
    return (
        RiskGate(parse_risk_config(LIMITS)),
        OrderManager(OrderManagerConfig(ack_timeout_seconds=30.0)),
        SimExchange(parse_exchange_config(EXCHANGE)),
        PnlProcessor(),
    )


def _source(kill_at: int | None = None) -> Iterator[Record]:
    """A tick every 100 ms with a drifting price; an intent every 700 ms from 200 ms."""
    for n in range(300):
        at = T0 + timedelta(milliseconds=100 * n)
        price = Decimal(100) + Decimal(n % 17) / 4 - Decimal(n % 5) / 2
        yield trade_tick("BTC-USD", q(price), 6, at, sequence=n)
        if n == kill_at:
            yield control("KILL", "GLOBAL", at + timedelta(milliseconds=1))
        if n % 7 == 2:
            yield intent(
                account="acc",
                strategy="momo" if n % 2 else "carry",
                instrument="BTC-USD",
                side=SIDES[(n // 7) % len(SIDES)],
                quantity=4 + n % 9,
                at=at + timedelta(milliseconds=50),
                number=n,
            )


def _run(kill_at: int | None = None) -> InProcessChain:
    chain = InProcessChain(*_processors())
    for record in _source(kill_at):
        chain.feed(record)
        chain.timer(record.value["envelope"]["event_time"])
    return chain


def _signed_fills(events: list[dict[str, Any]]) -> dict[str, Decimal]:
    totals: Counter[str] = Counter()
    for event in events:
        if event["kind"] in ("PARTIAL_FILL", "FILL"):
            sign = 1 if event["side"] == "BUY" else -1
            totals[event["strategy"]] += sign * event["fill_quantity"]
    return {k: q(v) for k, v in totals.items()}


def test_intents_flow_to_decisions_orders_fills_and_positions() -> None:
    chain = _run()
    gate, manager, pnl = chain.gate, chain.manager, chain.pnl
    intents = chain.values("strategy.intent")
    approved, rejected = chain.values("risk.approved"), chain.values("risk.rejected")
    assert len(approved) + len(rejected) == len(intents)
    assert {d["intent_id"] for d in approved + rejected} == {
        i["envelope"]["event_id"] for i in intents
    }
    assert approved, "the scenario approves some intents"
    assert rejected, "and rejects some (max position, quantity)"
    # structural safety: every order at the venue comes from an approval
    news = [c for c in chain.values("order.command") if c["command"] == "NEW"]
    assert {c["decision_id"] for c in news} <= {d["envelope"]["event_id"] for d in approved}
    assert len({c["client_order_id"] for c in news}) == len(news)
    # positions: the PnL, the gate and the sum of the fills agree
    events = chain.values("order.event")
    fills = _signed_fills(events)
    for strategy, quantity in fills.items():
        assert pnl.positions[f"acc:{strategy}:BTC-USD"].quantity == quantity
        assert gate.book.position(("acc", strategy, "BTC-USD")) == quantity
        assert abs(quantity) <= q(30)
    # the order manager's view of every order matches the venue's last word on it
    last_word = {e["client_order_id"]: e for e in events if e["kind"] != "STATUS"}
    for coid, event in last_word.items():
        assert manager.orders[coid].filled == event["cumulative_quantity"]
    assert manager.counters["illegal_transitions"] == 0
    # every output matches its Avro schema
    store = SchemaStore.load()
    codec = AvroCodec(LocalRegistry(store), store)
    for record in chain.outputs:
        codec.encode_value(record.topic, record.value["envelope"]["event_type"], record.value)


def test_after_the_kill_switch_there_are_zero_approvals() -> None:
    kill_at = 120
    chain = _run(kill_at=kill_at)
    killed_at = T0 + timedelta(milliseconds=100 * kill_at + 1)
    approvals = chain.values("risk.approved")
    assert any(d["envelope"]["event_time"] < killed_at for d in approvals)
    assert [d for d in approvals if d["envelope"]["event_time"] >= killed_at] == []
    late = [d for d in chain.values("risk.rejected") if d["envelope"]["event_time"] >= killed_at]
    assert late
    assert all([r["code"] for r in d["reasons"]] == ["KILL_SWITCH"] for d in late)
    news = [c for c in chain.values("order.command") if c["command"] == "NEW"]
    assert [c for c in news if c["envelope"]["event_time"] >= killed_at] == []
    assert chain.manager.open_orders() == []
    assert chain.exchange.open_orders() == []


def _chain_run(crash_at: int | None) -> InProcessChain:
    chain = InProcessChain(*_processors())
    for n, record in enumerate(_source()):
        if n == 150:
            chain.save()
        if n == crash_at:
            chain.crash()
        chain.feed(record)
        chain.timer(record.value["envelope"]["event_time"])
    return chain


def test_an_order_manager_restored_mid_stream_ends_like_an_uninterrupted_run() -> None:
    whole, crashed = _chain_run(crash_at=None), _chain_run(crash_at=230)
    assert crashed.manager.counters["reconciliations"] == 1
    # positions were reconciled with the venue too, and agreed
    assert crashed.manager.counters["reconciled_positions"] >= 1
    assert crashed.manager.counters["position_mismatches"] == 0
    assert crashed.manager.refusal() is None
    assert crashed.manager.ledger.positions == whole.manager.ledger.positions
    news = Counter(
        r.value["client_order_id"]
        for r in crashed.outputs
        if r.topic == "order.command" and r.value["command"] == "NEW"
    )
    acks = Counter(
        r.value["client_order_id"]
        for r in crashed.outputs
        if r.topic == "order.event" and r.value["kind"] == "ACK"
    )
    assert max(acks.values()) == 1, "the venue never accepted an order twice"
    assert set(acks) == set(news)
    assert whole.pnl.snapshot() == crashed.pnl.snapshot()
    assert whole.gate.book.positions == crashed.gate.book.positions
    assert whole.exchange.snapshot() == crashed.exchange.snapshot()
    finished = {c: o.status for c, o in whole.manager.orders.items()}
    assert {c: o.status for c, o in crashed.manager.orders.items()} == finished
