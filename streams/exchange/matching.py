"""Pure matching rules of the simulated exchange: can an order trade on a print, at what price.

A *print* is one market-data event for the order's instrument: a trade tick or a bar. The
first print at or after the order's activation is its *first look*: a limit order that
crosses then (the trade price, or the bar's open) was marketable on arrival and takes
liquidity (TAKER); otherwise it rests and fills as a MAKER.
Market orders are always takers.

* Trade tick at price ``p``: a market order reaches it at ``p``; a buy limit ``L`` when
  ``p <= L`` (sell: ``p >= L``), at ``p`` as a taker, at ``L`` as a resting maker.
* Bar: a market order reaches it at the open. A buy limit ``L`` reaches it at the open if
  ``open <= L`` (gap through the limit: the better price), else at ``L`` if ``low <= L``
  (sell: ``open >= L`` / ``high >= L``).
* Takers pay slippage on the reference price: ``slippage_bps + impact_bps x share + jitter``
  (share = fill quantity / print volume), never beyond a limit order's limit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

from streams.decimals import ZERO, q
from streams.exchange.config import ExchangeConfig

BPS: Final = Decimal(10_000)
Liquidity = Literal["MAKER", "TAKER"]


@dataclass(frozen=True, slots=True)
class Print:
    """A market event as matching sees it."""

    open: Decimal
    high: Decimal
    low: Decimal
    volume: Decimal
    """Traded size (a tick's size or a bar's volume); zero = unknown, does not limit."""
    is_bar: bool


@dataclass(frozen=True, slots=True)
class Reach:
    """An order can trade on a print at ``price`` (before slippage) as ``liquidity``."""

    price: Decimal
    liquidity: Liquidity


def reach(
    *,
    side: str,
    order_type: str,
    limit: Decimal | None,
    market: Print,
    first_look: bool,
) -> Reach | None:
    """Whether and where an order can trade on ``market``; ``None`` = not at this price."""
    if order_type == "MARKET" or limit is None:
        return Reach(market.open, "TAKER")
    buy = side == "BUY"
    gap = market.open <= limit if buy else market.open >= limit
    if market.is_bar:
        touched = market.low <= limit if buy else market.high >= limit
        price = market.open if gap else limit
        crossed = gap or touched
    else:
        # a trade tick: takers trade at the print, resting makers at their own limit
        price = market.open if first_look else limit
        crossed = gap
    if not crossed:
        return None
    # marketable on arrival (crossed at the first look's open/print) = taker; else resting
    return Reach(price, "TAKER" if first_look and gap else "MAKER")


def jitter_fraction(seed: int, trade_id: str) -> Decimal:
    """A deterministic number in [0, 1) from the seed and the trade id (no RNG state)."""
    digest = hashlib.sha256(f"{seed}:{trade_id}".encode()).digest()
    return Decimal(int.from_bytes(digest[:8], "big")) / Decimal(2**64)


def fill_price(
    *,
    config: ExchangeConfig,
    side: str,
    limit: Decimal | None,
    found: Reach,
    quantity: Decimal,
    volume: Decimal,
    trade_id: str,
) -> Decimal:
    """The price a fill of ``quantity`` gets: takers pay slippage, capped at the limit."""
    if found.liquidity == "MAKER":
        return q(found.price)
    share = quantity / volume if volume > ZERO else ZERO
    bps = config.slippage_bps + config.impact_bps * share
    if config.jitter_bps > ZERO:
        bps += config.jitter_bps * jitter_fraction(config.seed, trade_id)
    move = found.price * bps / BPS
    price = found.price + move if side == "BUY" else found.price - move
    if limit is not None:
        price = min(price, limit) if side == "BUY" else max(price, limit)
    return q(price)


def fee(config: ExchangeConfig, liquidity: Liquidity, quantity: Decimal, price: Decimal) -> Decimal:
    """Fee of a fill: notional x maker or taker bps."""
    bps = config.fees.maker_bps if liquidity == "MAKER" else config.fees.taker_bps
    return q(quantity * price * bps / BPS)
