"""Configuration of the simulated exchange (streams/config/exchange.yaml), typed.

Decimals are strings or integers in YAML (never floats); a bad value raises
:class:`streams.errors.ConfigError` naming the field, e.g. ``exchange.fees.taker_bps``.
"""

from __future__ import annotations

from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from streams.decimals import q
from streams.errors import ConfigError


def _strict_decimal(value: object) -> object:
    if isinstance(value, float):
        raise ValueError("write decimals as strings (e.g. '0.1'), floats are not allowed")
    if isinstance(value, int | str):
        return q(value)
    return value


StrictDecimal = Annotated[Decimal, BeforeValidator(_strict_decimal)]


class Fees(BaseModel):
    """Fees in basis points of the fill's notional; maker = resting, taker = crossing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    maker_bps: StrictDecimal = Field(default=Decimal(0), ge=0)
    taker_bps: StrictDecimal = Field(default=Decimal(0), ge=0)
    currency: str = "USD"


class ExchangeConfig(BaseModel):
    """How the simulated exchange matches orders against market data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    venue: str = Field(default="SIM", min_length=1, description="venue name orders must carry")
    seed: int = Field(default=0, description="seed of the deterministic slippage jitter")
    latency_ms: int = Field(
        default=0, ge=0, description="an order is active at command time + this"
    )
    fill_on: Literal["trades", "bars"] = Field(
        default="trades", description="md.tick trades or md.bar"
    )
    bar_interval_seconds: int | None = Field(
        default=None, gt=0, description="only bars of this interval are used (None = any)"
    )
    slippage_bps: StrictDecimal = Field(default=Decimal(0), ge=0, description="fixed, takers")
    impact_bps: StrictDecimal = Field(
        default=Decimal(0), ge=0, description="x the fill's share of the print's volume, takers"
    )
    jitter_bps: StrictDecimal = Field(
        default=Decimal(0), ge=0, description="pseudo-random extra slippage in [0, jitter)"
    )
    max_volume_share: StrictDecimal = Field(
        default=Decimal(1), gt=0, le=1, description="share of each print's size or bar volume"
    )
    fees: Fees = Field(default_factory=Fees)
    recent_prints: int = Field(
        default=128,
        ge=0,
        description="prints kept per instrument to match orders that arrive after them",
    )
    instruments: tuple[str, ...] | None = Field(
        default=None, description="instruments accepted (None = any)"
    )


def parse_exchange_config(data: Any, *, source: str = "exchange") -> ExchangeConfig:
    """Validate a decoded exchange file; raises ConfigError naming the first bad field."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(source, "the exchange file must hold a mapping")
    try:
        return ExchangeConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{source}.{path}", str(first["msg"])) from exc


def load_exchange_config(path: Path | None = None) -> ExchangeConfig:
    """Load an exchange file, or the packaged streams/config/exchange.yaml when None."""
    if path is None:
        text = resources.files("streams.config").joinpath("exchange.yaml").read_text("utf-8")
        origin = "streams/config/exchange.yaml"
    else:
        if not path.is_file():
            raise ConfigError("exchange_file", f"no such file: {path}")
        text = path.read_text(encoding="utf-8")
        origin = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError("exchange_file", f"{origin} is not valid YAML: {exc}") from exc
    return parse_exchange_config(data)
