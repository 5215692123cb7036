"""Kill switch, enable/disable and the per-strategy rate limit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from streams.runtime.processor import Record
from streams.strategy import StrategyProcessor, parse_strategy_yaml
from tests.unit.strategy.strategy_events import bar, control, run

ALWAYS = """\
name: {name}
version: 1
account: {account}
instruments: [SPX]
entry: {{when: "close > 0", side: buy, quantity: 1}}
exit: {{when: "close > 0"}}
"""
# entry and exit both always fire: flat -> BUY; long -> SELL then BUY again on the same bar


def always(name: str = "alpha", account: str = "main") -> str:
    return ALWAYS.format(name=name, account=account)


def make(*names: tuple[str, str]) -> StrategyProcessor:
    return StrategyProcessor([parse_strategy_yaml(always(n, a)) for n, a in names])


def emitted(proc: StrategyProcessor, records: list[Record]) -> list[str]:
    return [o.value["strategy"] for o in run(proc, records)]


@pytest.mark.parametrize(
    ("kill", "resume", "blocked", "free"),
    [
        (control("KILL"), control("RESUME"), {"alpha", "beta"}, set()),
        (
            control("KILL", "STRATEGY", "alpha"),
            control("RESUME", "STRATEGY", "alpha"),
            {"alpha"},
            {"beta"},
        ),
        (
            control("KILL", "ACCOUNT", "main"),
            control("RESUME", "ACCOUNT", "main"),
            {"alpha"},
            {"beta"},
        ),
        (
            control("DISABLE_STRATEGY", "STRATEGY", "beta"),
            control("ENABLE_STRATEGY", "STRATEGY", "beta"),
            {"beta"},
            {"alpha"},
        ),
    ],
)
def test_switches_suppress_and_restore_intents(
    kill: Record, resume: Record, blocked: set[str], free: set[str]
) -> None:
    proc = make(("alpha", "main"), ("beta", "other"))
    assert set(emitted(proc, [bar(0, 1)])) == {"alpha", "beta"}
    positions = {name: proc.position(name, "SPX") for name in ("alpha", "beta")}
    run(proc, [kill])
    assert set(emitted(proc, [bar(1, 1)])) == free
    for name in blocked:
        assert proc.position(name, "SPX") == positions[name]  # suppressed: not in position
    suppressed = sum(v for k, v in proc.counters.items() if k.startswith("intents_suppressed"))
    assert suppressed == 2 * len(blocked)  # each blocked strategy asked for SELL + BUY
    run(proc, [resume])
    assert set(emitted(proc, [bar(2, 1)])) == {"alpha", "beta"}


def test_kill_is_immediate_and_clear_halt_is_not_ours() -> None:
    proc = make(("alpha", "main"))
    run(proc, [control("KILL")])
    assert emitted(proc, [bar(0, 1)]) == []
    run(proc, [control("CLEAR_HALT")])
    assert emitted(proc, [bar(1, 1)]) == []
    assert proc.counters["control_ignored"] == 1
    assert proc.counters["intents_suppressed_killed"] == 2
    run(proc, [control("RESUME", "STRATEGY", "alpha")])  # a strategy resume does not lift GLOBAL
    assert emitted(proc, [bar(2, 1)]) == []


def test_kill_keeps_crossover_memory_so_no_stale_signal_fires_on_resume() -> None:
    strategy = parse_strategy_yaml(
        "name: x\nversion: 1\ninstruments: [SPX]\n"
        "entry: {when: 'crosses_above(close, 10)', side: buy, quantity: 1}\n"
    )
    proc = StrategyProcessor([strategy])
    run(proc, [bar(0, 5), control("KILL", "STRATEGY", "x"), bar(1, 15)])
    assert proc.counters["intents_suppressed_killed"] == 1
    run(proc, [control("RESUME", "STRATEGY", "x")])
    assert run(proc, [bar(2, 16)]) == []  # the cross happened at bar 1, not again at bar 2
    assert proc.position("x", "SPX") == Decimal(0)


def test_rate_limit_per_event_time_window() -> None:
    text = always().replace("exit:", "rate_limit: {max_intents: 3, window_seconds: 180}\nexit:")
    proc = StrategyProcessor([parse_strategy_yaml(text)])
    per_bar = [len(run(proc, [bar(i, 1)])) for i in range(6)]
    # bars end every 60 s. bar 0: BUY. bar 1: SELL + BUY (3 in the window). bar 2: both
    # suppressed. bar 3: bar 0's intent left the window -> SELL, BUY suppressed (now flat).
    # bar 4: flat, BUY. bar 5: SELL fits, BUY suppressed.
    assert per_bar == [1, 2, 0, 1, 1, 1]
    assert proc.counters["intents_rate_limited"] == 4
    assert proc.position("alpha", "SPX") == Decimal(0)


def test_rate_limit_is_per_strategy() -> None:
    limited = always("limited").replace(
        "exit:", "rate_limit: {max_intents: 1, window_seconds: 3600}\nexit:"
    )
    proc = StrategyProcessor([parse_strategy_yaml(limited), parse_strategy_yaml(always("free"))])
    names = emitted(proc, [bar(i, 1) for i in range(3)])
    assert names.count("limited") == 1
    assert names.count("free") == 5
