"""The four trading agent modules: specs, builds from TAPEWIRE_* settings, config errors."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streams.agents import order_manager, pnl, risk_gate, sim_exchange
from streams.errors import ConfigError
from streams.exchange.scenario import decision, position_answer, venue_event
from streams.exchange.simulator import SimExchange
from streams.orders.manager import OrderManager
from streams.pnl.processor import PnlProcessor
from streams.risk.gate import RiskGate
from streams.settings import load_settings


@pytest.mark.parametrize(
    ("module", "name", "snapshot_topic"),
    [
        (risk_gate, "risk_gate", "risk.snapshot"),
        (order_manager, "order_manager", "order.snapshot"),
        (sim_exchange, "sim_exchange", "order.exchange.snapshot"),
        (pnl, "pnl", "pnl.snapshot"),
    ],
)
def test_every_agent_is_a_faust_agent_with_its_snapshot_topic(
    module: object, name: str, snapshot_topic: str
) -> None:
    spec = module.AGENT  # type: ignore[attr-defined]
    assert (spec.name, spec.host, spec.snapshot_topic) == (name, "faust", snapshot_topic)


def test_builds_with_the_packaged_configs() -> None:
    settings = load_settings()
    assert isinstance(risk_gate.build(settings), RiskGate)
    assert isinstance(sim_exchange.build(settings), SimExchange)
    assert isinstance(order_manager.build(settings), OrderManager)
    assert isinstance(pnl.build(settings), PnlProcessor)


def test_the_risk_file_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "risk.yaml"
    path.write_text('defaults: {max_order_quantity: "7"}\n', encoding="utf-8")
    monkeypatch.setenv("TAPEWIRE_RISK_FILE", str(path))
    gate = risk_gate.build(load_settings())
    assert gate.limits.defaults.max_order_quantity == 7


def test_a_bad_exchange_file_fails_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "exchange.yaml"
    path.write_text("latency_ms: -1\n", encoding="utf-8")
    monkeypatch.setenv("TAPEWIRE_EXCHANGE_FILE", str(path))
    with pytest.raises(ConfigError) as caught:
        sim_exchange.build(load_settings())
    assert caught.value.field == "exchange.latency_ms"


def test_order_manager_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAPEWIRE_ORDERS_REPLAY_MODE", "true")
    monkeypatch.setenv("TAPEWIRE_ORDERS_SIMULATED_VENUES", "SIM, BACKTEST")
    monkeypatch.setenv("TAPEWIRE_ORDERS_VENUES", '{"AAPL": "NASDAQ"}')
    config = order_manager.build(load_settings()).config
    assert config.replay_mode
    assert config.simulated_venues == frozenset({"SIM", "BACKTEST"})
    assert config.venues == {"AAPL": "NASDAQ"}


def test_a_bad_order_manager_setting_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAPEWIRE_ORDERS_ACK_TIMEOUT_SECONDS", "0")
    with pytest.raises(ConfigError, match="TAPEWIRE_ORDERS_ACK_TIMEOUT_SECONDS"):
        order_manager.build(load_settings())


def test_the_agent_logs_when_the_order_manager_starts_and_stops_refusing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    manager = order_manager.build(load_settings())
    start = datetime(2024, 1, 2, 14, 0, tzinfo=UTC)
    command = manager.process(decision(at=start))[0].value
    manager.restore(manager.snapshot())  # as after a crash: reconcile the open order
    with caplog.at_level(logging.INFO, logger="streams.agents.order_manager"):
        sent = manager.on_timer(start + timedelta(seconds=1))  # queries the venue
        manager.on_timer(start + timedelta(seconds=12))  # no answer within 10 s
        manager.on_timer(start + timedelta(seconds=13))  # no repeated log
        manager.process(venue_event(command, "STATUS", start, order_status="ACKNOWLEDGED"))
        (positions,) = [o.value for o in sent if o.value["command"] == "POSITIONS"]
        for record in position_answer(positions, {}):
            manager.process(record)
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert len(messages) == 2
    assert messages[0][0] == "ERROR"
    assert command["client_order_id"] in messages[0][1]
    assert messages[1] == ("INFO", "order manager reconciled with the venue: trading again")


def test_a_replay_run_always_puts_the_order_manager_in_replay_mode() -> None:
    live = order_manager.build(load_settings())
    replay = order_manager.build(load_settings(run_id="replay-1"))
    assert not live.config.replay_mode
    assert replay.config.replay_mode
