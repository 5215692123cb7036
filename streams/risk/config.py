"""Risk limits from YAML (streams/config/risk.yaml), typed and validated at start.

Layout::

    global:       {max_daily_loss, max_drawdown}      # the whole book (GLOBAL PnL)
    defaults:     {<limits>}                          # every intent, strategy and account
    accounts:     {<account>: {<limits>}}
    strategies:   {<strategy>: {<limits>}}
    instruments:  {<instrument>: {<pre-trade limits>}}

Precedence: **strictest wins**. For an intent, each limit is the smallest value set at any of
the levels that apply to it (defaults, its account, its strategy, its instrument); a level that
leaves a limit unset (or ``null``) does not relax it. A loss limit of a strategy is the
stricter of ``defaults`` and ``strategies.<name>``; of an account, of ``defaults`` and
``accounts.<name>``; the global aggregate uses ``global`` only. Instruments carry pre-trade
limits only (a loss limit there is a configuration error).

Every value is a decimal given as a string or an integer (never a float: ``"0.1"``, not
``0.1``); a bad value raises :class:`streams.errors.ConfigError` naming the field, e.g.
``risk.strategies.momentum.max_position``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from streams.errors import ConfigError
from streams.exchange.config import StrictDecimal

PositiveDecimal = Annotated[StrictDecimal, Field(gt=0)]


class OrderRate(BaseModel):
    """At most ``max_orders`` approvals per ``window_seconds`` of event time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_orders: int = Field(gt=0)
    window_seconds: float = Field(gt=0)


class Limits(BaseModel):
    """The limits one level sets; ``None`` = not set at this level."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_position: PositiveDecimal | None = None
    max_order_quantity: PositiveDecimal | None = None
    max_order_notional: PositiveDecimal | None = None
    max_gross_exposure: PositiveDecimal | None = None
    max_open_orders: int | None = Field(default=None, ge=0)
    price_band_bps: PositiveDecimal | None = None
    order_rate: OrderRate | None = None
    max_daily_loss: PositiveDecimal | None = None
    max_drawdown: PositiveDecimal | None = None


class GlobalLimits(BaseModel):
    """Loss limits of the whole book."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_daily_loss: PositiveDecimal | None = None
    max_drawdown: PositiveDecimal | None = None


class RiskConfig(BaseModel):
    """The whole risk file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    global_: GlobalLimits = Field(default_factory=GlobalLimits, alias="global")
    defaults: Limits = Field(default_factory=Limits)
    accounts: dict[str, Limits] = Field(default_factory=dict)
    strategies: dict[str, Limits] = Field(default_factory=dict)
    instruments: dict[str, Limits] = Field(default_factory=dict)

    def effective(self, *, account: str, strategy: str, instrument: str) -> EffectiveLimits:
        """The limits that apply to one intent (strictest of every applicable level)."""
        levels = [
            self.defaults,
            self.accounts.get(account, _EMPTY),
            self.strategies.get(strategy, _EMPTY),
            self.instruments.get(instrument, _EMPTY),
        ]
        return _combine(levels)

    def strategy_loss_limits(self, strategy: str) -> EffectiveLimits:
        return _combine([self.defaults, self.strategies.get(strategy, _EMPTY)])

    def account_loss_limits(self, account: str) -> EffectiveLimits:
        return _combine([self.defaults, self.accounts.get(account, _EMPTY)])

    def global_loss_limits(self) -> EffectiveLimits:
        return _combine(
            [
                Limits(
                    max_daily_loss=self.global_.max_daily_loss,
                    max_drawdown=self.global_.max_drawdown,
                )
            ]
        )


_EMPTY = Limits()
_N = TypeVar("_N", Decimal, int)


@dataclass(frozen=True, slots=True)
class EffectiveLimits:
    """Resolved limits for one check context; ``None`` = unlimited."""

    max_position: Decimal | None = None
    max_order_quantity: Decimal | None = None
    max_order_notional: Decimal | None = None
    max_gross_exposure: Decimal | None = None
    max_open_orders: int | None = None
    price_band_bps: Decimal | None = None
    order_rate: OrderRate | None = None
    max_daily_loss: Decimal | None = None
    max_drawdown: Decimal | None = None


def _strictest(values: Iterable[_N | None]) -> _N | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _strictest_rate(levels: list[Limits]) -> OrderRate | None:
    rates = [lv.order_rate for lv in levels if lv.order_rate is not None]
    # the strictest rate is the one allowing the fewest orders per second
    return min(rates, key=lambda r: r.max_orders / r.window_seconds) if rates else None


def _combine(levels: list[Limits]) -> EffectiveLimits:
    return EffectiveLimits(
        max_position=_strictest(lv.max_position for lv in levels),
        max_order_quantity=_strictest(lv.max_order_quantity for lv in levels),
        max_order_notional=_strictest(lv.max_order_notional for lv in levels),
        max_gross_exposure=_strictest(lv.max_gross_exposure for lv in levels),
        max_open_orders=_strictest(lv.max_open_orders for lv in levels),
        price_band_bps=_strictest(lv.price_band_bps for lv in levels),
        order_rate=_strictest_rate(levels),
        max_daily_loss=_strictest(lv.max_daily_loss for lv in levels),
        max_drawdown=_strictest(lv.max_drawdown for lv in levels),
    )


def parse_risk_config(data: Any, *, source: str = "risk") -> RiskConfig:
    """Validate a decoded risk file; raises ConfigError naming the first bad field."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(source, "the risk file must hold a mapping")
    try:
        config = RiskConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{source}.{path}", str(first["msg"])) from exc
    for name, limits in config.instruments.items():
        for loss_field in ("max_daily_loss", "max_drawdown"):
            if getattr(limits, loss_field) is not None:
                raise ConfigError(
                    f"{source}.instruments.{name}.{loss_field}",
                    "loss limits apply to strategies, accounts or global, not instruments",
                )
    return config


def load_risk_config(path: Path | None = None) -> RiskConfig:
    """Load a risk file, or the packaged streams/config/risk.yaml when ``path`` is None."""
    if path is None:
        text = resources.files("streams.config").joinpath("risk.yaml").read_text("utf-8")
        origin = "streams/config/risk.yaml"
    else:
        if not path.is_file():
            raise ConfigError("risk_file", f"no such file: {path}")
        text = path.read_text(encoding="utf-8")
        origin = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError("risk_file", f"{origin} is not valid YAML: {exc}") from exc
    return parse_risk_config(data)
