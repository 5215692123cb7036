"""Kill switches, disabled strategies and loss halts of the risk gate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from streams.decimals import q
from streams.errors import ProcessingError
from streams.exchange.scenario import control, intent, pnl_update, trade_tick
from streams.runtime.harness import Harness

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


def _intent(n: int, strategy: str = "momo", account: str = "acc") -> Any:
    return intent(
        account=account,
        strategy=strategy,
        instrument="BTC-USD",
        side="BUY",
        quantity="1",
        at=T0 + timedelta(seconds=n),
        number=n,
    )


def _outcome(gate: Harness, n: int, **kwargs: Any) -> tuple[str, list[str]]:
    out = gate.process(_intent(n, **kwargs))[0]
    return out.topic, [r["code"] for r in out.value["reasons"]]


@pytest.fixture
def gate(make_gate: Callable[..., Harness]) -> Harness:
    limits = {
        "global": {"max_daily_loss": "5000", "max_drawdown": "8000"},
        "defaults": {"max_daily_loss": "1000", "max_drawdown": "1500"},
        "accounts": {"acc": {"max_daily_loss": "800"}},
        "strategies": {"tight": {"max_daily_loss": "200"}},
    }
    harness = make_gate(limits)
    harness.process(trade_tick("BTC-USD", "100", "5", T0))
    return harness


def test_global_kill_switch_rejects_every_intent_until_resume(gate: Harness) -> None:
    assert _outcome(gate, 0)[0] == "risk.approved"
    gate.process(control("KILL", "GLOBAL", T0 + timedelta(seconds=1)))
    results = [_outcome(gate, n, strategy=f"s{n % 3}") for n in range(2, 12)]
    assert all(topic == "risk.rejected" for topic, _ in results)
    assert all(codes == ["KILL_SWITCH"] for _, codes in results)
    gate.process(control("RESUME", "GLOBAL", T0 + timedelta(seconds=20)))
    assert _outcome(gate, 21)[0] == "risk.approved"


def test_strategy_kill_switch_stops_only_that_strategy(gate: Harness) -> None:
    gate.process(control("KILL", "STRATEGY", T0, target="momo"))
    assert _outcome(gate, 1) == ("risk.rejected", ["KILL_SWITCH"])
    assert _outcome(gate, 2, strategy="other")[0] == "risk.approved"


def test_account_kill_switch(gate: Harness) -> None:
    gate.process(control("KILL", "ACCOUNT", T0, target="acc"))
    assert _outcome(gate, 1) == ("risk.rejected", ["KILL_SWITCH"])
    assert _outcome(gate, 2, account="other")[0] == "risk.approved"


def test_disabled_strategy(gate: Harness) -> None:
    gate.process(control("DISABLE_STRATEGY", "STRATEGY", T0, target="momo"))
    assert _outcome(gate, 1) == ("risk.rejected", ["STRATEGY_DISABLED"])
    gate.process(control("ENABLE_STRATEGY", "STRATEGY", T0 + timedelta(seconds=2), target="momo"))
    assert _outcome(gate, 3)[0] == "risk.approved"


def test_daily_loss_breach_halts_the_strategy_until_clear_halt(gate: Harness) -> None:
    # the strategy "tight" has max_daily_loss 200 (stricter than the default 1000)
    assert gate.process(pnl_update("STRATEGY", T0, daily_pnl="-200", strategy="tight")) == []
    violations = gate.process(
        pnl_update("STRATEGY", T0, daily_pnl="-200.01", strategy="tight", number=1)
    )
    assert len(violations) == 1
    violation = violations[0]
    assert violation.topic == "risk.violation"
    assert violation.value["scope"] == "STRATEGY"
    assert violation.value["strategy"] == "tight"
    assert violation.value["limit"] == "MAX_DAILY_LOSS"
    assert violation.value["action"] == "HALT"
    assert (violation.value["limit_value"], violation.value["actual_value"]) == (
        q("200"),
        q("200.01"),
    )
    # no second violation while halted
    assert (
        gate.process(pnl_update("STRATEGY", T0, daily_pnl="-300", strategy="tight", number=2)) == []
    )
    assert _outcome(gate, 1, strategy="tight") == ("risk.rejected", ["HALTED"])
    assert _outcome(gate, 2)[0] == "risk.approved"
    gate.process(control("CLEAR_HALT", "STRATEGY", T0 + timedelta(seconds=3), target="tight"))
    assert _outcome(gate, 4, strategy="tight")[0] == "risk.approved"


def test_drawdown_breach_halts_globally(gate: Harness) -> None:
    out = gate.process(pnl_update("GLOBAL", T0, daily_pnl="100", drawdown="8000.5"))
    assert [o.value["limit"] for o in out] == ["MAX_DRAWDOWN"]
    assert out[0].value["scope"] == "GLOBAL"
    assert _outcome(gate, 1, strategy="any") == ("risk.rejected", ["HALTED"])
    gate.process(control("CLEAR_HALT", "GLOBAL", T0 + timedelta(seconds=2)))
    assert _outcome(gate, 3)[0] == "risk.approved"


def test_account_daily_loss_uses_the_account_limit(gate: Harness) -> None:
    assert gate.process(pnl_update("ACCOUNT", T0, daily_pnl="-799", account="acc")) == []
    out = gate.process(pnl_update("ACCOUNT", T0, daily_pnl="-801", account="acc", number=1))
    assert [(o.value["scope"], o.value["account"]) for o in out] == [("ACCOUNT", "acc")]
    assert _outcome(gate, 1) == ("risk.rejected", ["HALTED"])


def test_a_still_breached_limit_halts_again_after_clear(gate: Harness) -> None:
    gate.process(pnl_update("STRATEGY", T0, daily_pnl="-250", strategy="tight"))
    gate.process(control("CLEAR_HALT", "STRATEGY", T0, target="tight"))
    again = gate.process(pnl_update("STRATEGY", T0, daily_pnl="-260", strategy="tight", number=1))
    assert [o.value["limit"] for o in again] == ["MAX_DAILY_LOSS"]


def test_a_control_without_its_target_is_refused(gate: Harness) -> None:
    with pytest.raises(ProcessingError, match="needs a target"):
        gate.process(control("KILL", "STRATEGY", T0))


def test_controls_survive_snapshot_and_restore(gate: Harness) -> None:
    gate.process(control("KILL", "STRATEGY", T0, target="momo"))
    gate.process(pnl_update("STRATEGY", T0, daily_pnl="-250", strategy="tight"))
    gate.state()
    assert _outcome(gate, 1) == ("risk.rejected", ["KILL_SWITCH"])
    assert _outcome(gate, 2, strategy="tight") == ("risk.rejected", ["HALTED"])


def test_both_loss_limits_breached_at_once_emit_one_violation_each(gate: Harness) -> None:
    out = gate.process(pnl_update("GLOBAL", T0, daily_pnl="-6000", drawdown="9000"))
    assert [o.value["limit"] for o in out] == ["MAX_DAILY_LOSS", "MAX_DRAWDOWN"]
    assert len({o.value["envelope"]["event_id"] for o in out}) == 2
