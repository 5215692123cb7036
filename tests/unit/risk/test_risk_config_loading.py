"""Typed loading of risk limits: precedence, errors naming the field, the packaged file."""

from __future__ import annotations

from pathlib import Path

import pytest
from streams.decimals import q
from streams.errors import ConfigError
from streams.risk.config import load_risk_config, parse_risk_config


def test_the_packaged_file_loads() -> None:
    config = load_risk_config()
    assert config.defaults.max_order_quantity is not None


def test_strictest_level_wins() -> None:
    config = parse_risk_config(
        {
            "defaults": {
                "max_position": "100",
                "order_rate": {"max_orders": 10, "window_seconds": 1},
            },
            "accounts": {"a": {"max_position": "80"}},
            "strategies": {
                "s": {"max_position": "120", "order_rate": {"max_orders": 30, "window_seconds": 60}}
            },
            "instruments": {"X": {"max_position": "90", "max_open_orders": 2}},
        }
    )
    limits = config.effective(account="a", strategy="s", instrument="X")
    assert limits.max_position == q("80")
    assert limits.max_open_orders == 2
    # 30 per 60 s (0.5/s) is stricter than 10 per second
    assert limits.order_rate is not None
    assert limits.order_rate.max_orders == 30
    other = config.effective(account="b", strategy="t", instrument="Y")
    assert other.max_position == q("100")
    assert other.max_open_orders is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"defaults": {"max_position": 1.5}}, "risk.defaults.max_position"),
        ({"defaults": {"max_position": "-1"}}, "risk.defaults.max_position"),
        ({"strategies": {"s": {"max_postion": "1"}}}, "risk.strategies.s.max_postion"),
        ({"instruments": {"X": {"max_daily_loss": "1"}}}, "risk.instruments.X.max_daily_loss"),
        (
            {"defaults": {"order_rate": {"max_orders": 0, "window_seconds": 1}}},
            "risk.defaults.order_rate.max_orders",
        ),
    ],
)
def test_a_bad_value_names_its_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_risk_config(data)
    assert caught.value.field == field


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_risk_config(tmp_path / "absent.yaml")


def test_invalid_yaml_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "risk.yaml"
    path.write_text("defaults: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_risk_config(path)
