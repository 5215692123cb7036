"""The backtest's ``--config`` YAML: ``capital``, ``risk`` and ``exchange`` sections.

::

    capital: "100000"          # starting equity (decimal string or integer); default 100000
    risk: {...}                # the risk file's layout (streams/config/risk.yaml); replaces it
    exchange: {...}            # keys of streams/config/exchange.yaml; override it key by key

Without a ``risk`` section the packaged risk limits apply; the ``exchange`` section is laid
over the packaged exchange file (``fees`` merged key by key too). For bar data the exchange
must fill on bars: ``fill_on`` defaults to ``bars`` (``trades`` is refused) and
``latency_ms`` defaults to 0, because bars are contiguous (a bar starts where the previous
one ends) and any positive latency would skip the next bar's open (docs/backtest.md). Every
problem raises :class:`~streams.errors.ConfigError` naming the field, e.g.
``exchange.fees.taker_bps`` or ``risk.defaults.max_position``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal, cast

import yaml

from streams.decimals import q
from streams.errors import ConfigError
from streams.exchange.config import ExchangeConfig, parse_exchange_config
from streams.risk.config import RiskConfig, load_risk_config, parse_risk_config

DEFAULT_CAPITAL: Final = q(100_000)
SECTIONS: Final = frozenset({"capital", "risk", "exchange"})
DataKind = Literal["bars", "ticks"]


@dataclass(frozen=True, slots=True)
class BacktestConfig:
    """Validated settings of one backtest run."""

    capital: Decimal
    risk: RiskConfig
    exchange: ExchangeConfig


def _packaged_exchange() -> dict[str, Any]:
    text = resources.files("streams.config").joinpath("exchange.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ConfigError("exchange_file", "streams/config/exchange.yaml must hold a mapping")
    return cast(dict[str, Any], data)


def _capital(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError("capital", f"must be a decimal string or an integer, got {value!r}")
    try:
        capital = q(value)
    except (InvalidOperation, ValueError) as exc:
        raise ConfigError("capital", f"not a decimal number: {value!r}") from exc
    if capital <= 0:
        raise ConfigError("capital", f"must be positive, got {value!r}")
    return capital


def _exchange(section: object, kind: DataKind) -> ExchangeConfig:
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise ConfigError("exchange", "must be a mapping of exchange settings")
    own = cast(dict[str, Any], section)
    merged = _packaged_exchange()
    fees = own.get("fees")
    if isinstance(fees, dict) and isinstance(merged.get("fees"), dict):
        own = {**own, "fees": {**merged["fees"], **fees}}
    if kind == "bars":
        if own.get("fill_on", "bars") != "bars":
            raise ConfigError("exchange.fill_on", "bar data can only fill on bars")
        merged.update(fill_on="bars", latency_ms=0)
    merged.update(own)
    return parse_exchange_config(merged, source="exchange")


def parse_backtest_config(data: object, kind: DataKind = "bars") -> BacktestConfig:
    """Validate a decoded config document (``None`` = every default)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("config", "the backtest config must hold a mapping")
    document = cast(dict[str, Any], data)
    unknown = sorted(set(document) - SECTIONS)
    if unknown:
        raise ConfigError(f"config.{unknown[0]}", f"unknown section (use {sorted(SECTIONS)})")
    risk = (
        parse_risk_config(document["risk"], source="risk")
        if "risk" in document
        else load_risk_config()
    )
    return BacktestConfig(
        capital=_capital(document.get("capital", str(DEFAULT_CAPITAL))),
        risk=risk,
        exchange=_exchange(document.get("exchange"), kind),
    )


def load_backtest_config(path: Path | None, kind: DataKind = "bars") -> BacktestConfig:
    """Load ``--config`` (None: every default); ConfigError names the bad field."""
    if path is None:
        return parse_backtest_config(None, kind)
    if not path.is_file():
        raise ConfigError("--config", f"no such file: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError("--config", f"{path} is not valid YAML: {exc}") from exc
    return parse_backtest_config(data, kind)
