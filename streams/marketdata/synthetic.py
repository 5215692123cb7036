"""A seeded, multi-instrument synthetic tick generator (pure: no I/O, no wall clock).

Model, per instrument (times in years of 365 days, the simulated clock never stops):

* the efficient log price follows geometric Brownian motion whose variance rate ``v`` is a
  GARCH(1,1)-style process updated at every event of the instrument::

      r      = -v*dt/2 + sqrt(v*dt) * z                      z ~ N(0, 1)
      v_next = omega + alpha * r**2/dt + beta * v,   omega = (1 - alpha - beta) * sigma**2

  ``r**2/dt`` is an unbiased estimate of ``v``, so the long-run variance rate is ``sigma**2``
  (the instrument's ``annual_volatility``) whatever the event spacing, and squared returns
  are positively autocorrelated (volatility clustering);
* the bid/ask spread, in ticks, is ``max(1, round(mean_spread_ticks * sqrt(v/sigma**2) * e))``
  with a log-normal ``e``: at least one tick and wider when volatility is high; the bid is
  the efficient price minus half the spread, floored to the tick grid;
* trades hit the bid or lift the ask with equal probability; trade and quote sizes are
  log-normal in notional (mean ``mean_trade_notional``) and rounded to whole lots (>= 1 lot).

Events arrive as a Poisson process at ``events_per_second`` over all instruments; each
event picks an instrument uniformly and is a TRADE with probability ``trade_probability``,
else a QUOTE. Event times are ``start`` plus the simulated arrival times (integer
microseconds, strictly increasing). Sequences count 1, 2, 3... per (feed, instrument). The
same seed, instruments and parameters give the same events, ids included.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

import numpy as np

from streams.clock import from_micros, to_micros
from streams.errors import ConfigError
from streams.marketdata.instruments import Instrument
from streams.marketdata.ticks import TickSource, quote_tick, trade_tick

MICROS_PER_YEAR: Final = 365 * 86_400 * 1_000_000
_MIN_VARIANCE_FRACTION: Final = 0.01


@dataclass(frozen=True, slots=True)
class SyntheticParameters:
    """Parameters of the simulation shared by every instrument."""

    seed: int
    start: datetime
    events_per_second: float = 100.0
    trade_probability: float = 0.3
    garch_alpha: float = 0.08
    garch_beta: float = 0.90
    mean_spread_ticks: float = 2.0
    mean_trade_notional: float = 10_000.0
    feed: str = "synthetic"
    agent: str = "synthetic_feed"

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ConfigError("synthetic.start", "must be timezone-aware")
        if self.events_per_second <= 0:
            raise ConfigError("synthetic.events_per_second", "must be positive")
        if not 0.0 <= self.trade_probability <= 1.0:
            raise ConfigError("synthetic.trade_probability", "must be within [0, 1]")
        if self.garch_alpha < 0 or self.garch_beta < 0 or self.garch_alpha + self.garch_beta >= 1:
            raise ConfigError("synthetic.garch", "need alpha >= 0, beta >= 0, alpha + beta < 1")
        if self.mean_spread_ticks < 1 or self.mean_trade_notional <= 0:
            raise ConfigError("synthetic.sizes", "mean spread >= 1 tick, trade notional > 0")


@dataclass(slots=True)
class _Path:
    """Mutable simulation state of one instrument."""

    instrument: Instrument
    target_variance: float
    log_price: float
    variance: float
    last_micros: int
    tick: float
    lot: float
    sequence: int = 0


class SyntheticFeed(Iterator[dict[str, Any]]):
    """An endless iterator of raw md.tick event values; deterministic for a seed."""

    def __init__(self, parameters: SyntheticParameters, instruments: Sequence[Instrument]) -> None:
        if not instruments:
            raise ConfigError("synthetic.instruments", "at least one instrument is required")
        self._p = parameters
        self._rng = np.random.default_rng(parameters.seed)
        self._source = TickSource(agent=parameters.agent, feed=parameters.feed)
        self._now = to_micros(parameters.start)
        self._mean_gap_s = 1.0 / parameters.events_per_second
        self._paths = [self._path(instrument) for instrument in instruments]

    def _path(self, instrument: Instrument) -> _Path:
        simulation = instrument.simulation
        if simulation is None:
            raise ConfigError(
                f"instruments[{instrument.symbol}].simulation",
                "the synthetic feed needs reference_price and annual_volatility",
            )
        sigma = float(simulation.annual_volatility)
        return _Path(
            instrument=instrument,
            target_variance=sigma * sigma,
            log_price=math.log(float(simulation.reference_price)),
            variance=sigma * sigma,
            last_micros=self._now,
            tick=float(instrument.tick_size),
            lot=float(instrument.lot_size),
        )

    def __next__(self) -> dict[str, Any]:
        rng = self._rng
        self._now += max(1, round(rng.exponential(self._mean_gap_s) * 1_000_000))
        path = self._paths[int(rng.integers(len(self._paths)))]
        self._diffuse(path)
        path.sequence += 1
        price = math.exp(path.log_price)
        spread_ticks = self._spread_ticks(path)
        bid_ticks = math.floor(price / path.tick - spread_ticks / 2)
        ask_ticks = bid_ticks + spread_ticks
        when = from_micros(self._now)
        instrument = path.instrument
        if rng.random() < self._p.trade_probability:
            buy = bool(rng.random() < 0.5)
            return trade_tick(
                self._source,
                instrument=instrument.symbol,
                venue=instrument.venue,
                sequence=path.sequence,
                event_time=when,
                ingest_time=when,
                price=_on_grid(ask_ticks if buy else bid_ticks, instrument.tick_size),
                size=self._size(path, price),
                aggressor="BUY" if buy else "SELL",
                trade_id=f"{self._p.feed}-{instrument.symbol}-{path.sequence}",
            )
        return quote_tick(
            self._source,
            instrument=instrument.symbol,
            venue=instrument.venue,
            sequence=path.sequence,
            event_time=when,
            ingest_time=when,
            bid_price=_on_grid(bid_ticks, instrument.tick_size),
            bid_size=self._size(path, price),
            ask_price=_on_grid(ask_ticks, instrument.tick_size),
            ask_size=self._size(path, price),
        )

    def _diffuse(self, path: _Path) -> None:
        dt = (self._now - path.last_micros) / MICROS_PER_YEAR
        path.last_micros = self._now
        z = float(self._rng.standard_normal())
        r = -0.5 * path.variance * dt + math.sqrt(path.variance * dt) * z
        path.log_price += r
        alpha, beta = self._p.garch_alpha, self._p.garch_beta
        omega = (1.0 - alpha - beta) * path.target_variance
        path.variance = max(
            omega + alpha * r * r / dt + beta * path.variance,
            _MIN_VARIANCE_FRACTION * path.target_variance,
        )

    def _spread_ticks(self, path: _Path) -> int:
        noise = math.exp(0.25 * float(self._rng.standard_normal()) - 0.03125)
        ratio = math.sqrt(path.variance / path.target_variance)
        return max(1, round(self._p.mean_spread_ticks * ratio * noise))

    def _size(self, path: _Path, price: float) -> Decimal:
        sigma = 1.0
        mu = math.log(self._p.mean_trade_notional / price) - sigma * sigma / 2
        lots = max(1, round(math.exp(mu + sigma * float(self._rng.standard_normal())) / path.lot))
        return Decimal(lots) * path.instrument.lot_size


def _on_grid(ticks: int, tick_size: Decimal) -> Decimal:
    """``ticks`` increments; exact at the platform scale (increments are scale-9 decimals)."""
    return Decimal(ticks) * tick_size
