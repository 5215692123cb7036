"""Example plug-in: RSI mean reversion in an up-trend.

Load it with ``TAPEWIRE_STRATEGIES=streams.strategy.examples.rsi_reversion:RsiMeanReversion``.

- entry: flat, the close above its 200-bar SMA (up-trend) and RSI(14) crossing back above
  30 (leaving oversold) -> buy ``quantity`` at market;
- exit: long and RSI(14) at or above 70 -> sell the whole position.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar

from streams.strategy.base import Bar, BarContext, IntentRequest, RateLimit, Strategy


class RsiMeanReversion(Strategy):
    """Buy oversold dips in an up-trend, sell when overbought."""

    name = "rsi_reversion"
    version = 1
    instruments = ("SPX",)
    indicators: Mapping[str, str] = {"rsi": "rsi:14", "trend": "sma:200"}
    rate_limit = RateLimit(max_intents=2, window_seconds=86_400)
    description = "RSI(14) leaves oversold above the 200-bar SMA; exit at 70"

    quantity: ClassVar[Decimal] = Decimal(5)
    oversold: ClassVar[float] = 30.0
    overbought: ClassVar[float] = 70.0

    def on_bar(self, ctx: BarContext, bar: Bar) -> list[IntentRequest]:
        rsi = ctx.value("rsi")
        trend = ctx.value("trend")
        previous = ctx.memory.get("previous_rsi")
        ctx.memory["previous_rsi"] = rsi
        if rsi is None:
            return []
        if ctx.is_long and rsi >= self.overbought:
            return [
                IntentRequest(
                    side="SELL",
                    quantity=ctx.position,
                    rule="exit",
                    reason=f"exit: rsi {rsi:.2f} >= {self.overbought:g}",
                )
            ]
        leaving_oversold = previous is not None and previous < self.oversold <= rsi
        if ctx.is_flat and leaving_oversold and trend is not None and float(bar.close) > trend:
            return [
                IntentRequest(
                    side="BUY",
                    quantity=self.quantity,
                    rule="entry",
                    reason=f"entry: rsi crossed above {self.oversold:g} above sma:200",
                )
            ]
        return []
