"""The simulated exchange matching on bars, determinism, config and snapshot/restore."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streams.decimals import q
from streams.errors import ConfigError
from streams.exchange.config import load_exchange_config, parse_exchange_config
from streams.exchange.scenario import bar, order_command, trade_tick
from streams.exchange.simulator import SimExchange
from streams.runtime.harness import Harness
from streams.runtime.processor import Record

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def _bar(start: datetime, ohlcv: str) -> Record:
    """A bar from "open high low close volume"."""
    open_, high, low, close, volume = ohlcv.split()
    return bar("BTC-USD", start, open=open_, high=high, low=low, close=close, volume=volume)


def test_a_market_order_fills_at_the_open_of_the_first_bar_starting_after_activation(
    make_exchange: Callable[..., Harness],
) -> None:
    sim = make_exchange(fill_on="bars", latency_ms=1000)
    sim.process(order_command("NEW", "c1", T0, quantity=5))
    # starts before the activation (T0 + 1 s): skipped
    assert sim.process(_bar(T0, "100 101 99 100 1000")) == []
    out = sim.process(_bar(T0 + MINUTE, "102 103 101 102 1000"))
    assert [o.value["kind"] for o in out] == ["FILL"]
    assert out[0].value["fill_price"] == q("102")


def test_bar_volume_limits_a_market_fill(make_exchange: Callable[..., Harness]) -> None:
    sim = make_exchange(fill_on="bars", max_volume_share="0.1")
    sim.process(order_command("NEW", "c1", T0 - MINUTE, quantity=15))
    first = sim.process(_bar(T0, "100 101 99 100 100"))
    second = sim.process(_bar(T0 + MINUTE, "104 105 103 104 100"))
    # 100 x 0.1 = 10 per bar, each at its open
    assert [(o.value["fill_quantity"], o.value["fill_price"]) for o in first + second] == [
        (q("10"), q("100")),
        (q("5"), q("104")),
    ]


def test_a_buy_limit_the_bar_trades_through_fills_at_the_limit(
    make_exchange: Callable[..., Harness],
) -> None:
    sim = make_exchange(fill_on="bars")
    sim.process(order_command("NEW", "c1", T0 - MINUTE, order_type="LIMIT", limit_price="99"))
    assert sim.process(_bar(T0, "100 101 99.5 100 1000")) == []
    out = sim.process(_bar(T0 + MINUTE, "100 100 98 99 1000"))
    assert (out[0].value["fill_price"], out[0].value["liquidity"]) == (q("99"), "MAKER")


def test_a_bar_opening_through_the_limit_fills_at_the_better_open(
    make_exchange: Callable[..., Harness],
) -> None:
    sim = make_exchange(fill_on="bars")
    sim.process(order_command("NEW", "c1", T0 - MINUTE, order_type="LIMIT", limit_price="99"))
    sim.process(_bar(T0, "100 101 99.5 100 1000"))
    out = sim.process(_bar(T0 + MINUTE, "97 98 96 97 1000"))
    assert (out[0].value["fill_price"], out[0].value["liquidity"]) == (q("97"), "MAKER")


def test_a_sell_limit_is_reached_by_the_bar_high(make_exchange: Callable[..., Harness]) -> None:
    sim = make_exchange(fill_on="bars")
    sim.process(
        order_command("NEW", "c1", T0 - MINUTE, side="SELL", order_type="LIMIT", limit_price="105")
    )
    out = sim.process(_bar(T0, "100 105 99 104 1000"))
    assert (out[0].value["fill_price"], out[0].value["liquidity"]) == (q("105"), "MAKER")


def test_the_other_market_data_kind_is_ignored(make_exchange: Callable[..., Harness]) -> None:
    on_bars = make_exchange(fill_on="bars")
    on_bars.process(order_command("NEW", "c1", T0))
    assert on_bars.process(trade_tick("BTC-USD", "100", "10", T0)) == []
    on_trades = make_exchange(fill_on="trades")
    on_trades.process(order_command("NEW", "c1", T0 - MINUTE))
    assert on_trades.process(_bar(T0, "100 101 99 100 10")) == []


def _session(seed: int) -> list[object]:
    config = parse_exchange_config({"seed": seed, "jitter_bps": "10", "max_volume_share": "0.5"})
    sim = Harness(SimExchange(config))
    outputs = []
    outputs += sim.process(order_command("NEW", "c1", T0, quantity=10))
    for n in range(1, 4):
        outputs += sim.process(
            trade_tick("BTC-USD", "100", "6", T0 + timedelta(seconds=n), sequence=n)
        )
    return [o.value for o in outputs]


def test_the_same_seed_and_input_give_the_same_output() -> None:
    assert _session(7) == _session(7)
    prices = [v["fill_price"] for v in _session(7) if isinstance(v, dict) and v["fill_price"]]
    other = [v["fill_price"] for v in _session(8) if isinstance(v, dict) and v["fill_price"]]
    assert prices != other
    assert all(q("100") <= p < q("100.1") for p in prices)  # jitter in [0, 10 bps)


def test_continuing_after_restore_equals_an_uninterrupted_run(
    make_exchange: Callable[..., Harness],
) -> None:
    records = [
        order_command("NEW", "c1", T0, quantity=10),
        order_command("NEW", "c2", T0, order_type="LIMIT", limit_price="99", quantity=3),
        trade_tick("BTC-USD", "100", "8", T0 + timedelta(seconds=1), sequence=1),
        trade_tick("BTC-USD", "98", "8", T0 + timedelta(seconds=2), sequence=2),
        trade_tick("BTC-USD", "99", "40", T0 + timedelta(seconds=3), sequence=3),
    ]
    whole, halves = make_exchange(max_volume_share="0.5"), make_exchange(max_volume_share="0.5")
    expected = [o for r in records for o in whole.process(r)]
    got = [o for r in records[:3] for o in halves.process(r)]
    halves.state()
    got += [o for r in records[3:] for o in halves.process(r)]
    assert got == expected
    assert whole.state() == halves.state()


def test_the_packaged_config_loads() -> None:
    config = load_exchange_config()
    assert config.venue == "SIM"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"max_volume_share": "1.5"}, "exchange.max_volume_share"),
        ({"fees": {"taker_bps": 0.5}}, "exchange.fees.taker_bps"),
        ({"fill_on": "quotes"}, "exchange.fill_on"),
        ({"latency": 5}, "exchange.latency"),
    ],
)
def test_a_bad_exchange_value_names_its_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_exchange_config(data)
    assert caught.value.field == field


def test_a_missing_exchange_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_exchange_config(tmp_path / "absent.yaml")
