"""Scaffold of a Python strategy: copy this file, rename the class, change the logic.

It is a complete, tested strategy (tests/unit/strategy/test_strategy_scaffold.py), not a
sketch. Required and optional members are listed in docs/strategies.md. The rules:

- declare every indicator you read in ``indicators`` (alias -> spec); the processor waits for
  all of them before calling :meth:`on_bar`, and they are ``None`` while warming up;
- keep everything you must remember between bars in ``ctx.memory`` (JSON values only):
  it is per instrument, snapshotted and restored by the processor;
- never read the clock, files or the network; time is ``bar.end``;
- return :class:`IntentRequest` objects; the processor turns them into ``strategy.intent``
  events, applies the kill switch and the rate limit, and tracks your expected position;
- give every intent a ``rule`` name: with the strategy name and version it makes the event id.

This template: after ``confirm_bars`` consecutive closes above the EMA(20) it bids at the EMA
with a LIMIT intent (GTC by default); it sells at market when a close falls below the EMA.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar

from streams.decimals import q
from streams.strategy.base import Bar, BarContext, IntentRequest, RateLimit, Strategy


class TemplateStrategy(Strategy):
    """EMA pull-back: confirm an up-move, then bid at the EMA; exit below it."""

    # --- required -----------------------------------------------------------------------
    name = "template_strategy"  # snake_case, unique among configured strategies
    version = 1  # bump on every change; hot reload refuses a changed strategy otherwise
    instruments = ("*",)  # instrument names, or ("*",) for every instrument
    # --- optional -----------------------------------------------------------------------
    indicators: Mapping[str, str] = {"ema": "ema:20"}
    account = "default"
    interval_seconds = None  # only bars of this interval; None = every interval
    rate_limit = RateLimit(max_intents=10, window_seconds=60)
    description = "EMA(20) pull-back entry, exit on a close below the EMA"

    confirm_bars: ClassVar[int] = 3
    quantity: ClassVar[Decimal] = Decimal(1)

    def on_bar(self, ctx: BarContext, bar: Bar) -> list[IntentRequest]:
        ema = ctx.value("ema")
        if ema is None:  # still warming up
            return []
        close = float(bar.close)
        above = int(ctx.memory.get("bars_above", 0))
        above = above + 1 if close > ema else 0
        ctx.memory["bars_above"] = above
        if ctx.is_long and close < ema:
            return [
                IntentRequest(
                    side="SELL",
                    quantity=ctx.position,
                    rule="exit",
                    reason=f"exit: close {close:g} below ema {ema:.4f}",
                )
            ]
        if ctx.is_flat and above == self.confirm_bars:
            return [
                IntentRequest(
                    side="BUY",
                    quantity=self.quantity,
                    rule="entry",
                    reason=f"entry: {above} closes above ema, bid at the ema",
                    order_type="LIMIT",
                    limit_price=q(Decimal(repr(ema))),
                )
            ]
        return []
