"""Recent prices per instrument by event time, so the gate prices an intent "as of" its time.

Live, the gate reads market data (broadcast) and intents on different topics, so when an
intent arrives it may not have read the bar of the intent's own time yet, or it may already
have read later ones. Pricing at "the last price read" would make decisions depend on that
race; pricing at **the latest price stamped at or before the intent's event time** does not.
The history keeps the last ``capacity`` prices of each instrument ordered by event time (not
arrival), one per event time (a later-read price of the same time replaces the earlier), and
never answers with a price stamped after the time asked about.
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from streams.clock import from_micros, to_micros
from streams.decimals import q
from streams.errors import ProcessingError

DEFAULT_CAPACITY: Final = 128
LEGACY_TIME: Final = datetime(1970, 1, 1, tzinfo=UTC)
"""Stamp given to an unstamped last price restored from a snapshot written before the history
existed: older than any real price, so it is used only until a stamped price at or before the
intent's time exists."""


class PriceHistory:
    """The last ``capacity`` (event time, price) pairs of each instrument, oldest first."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError(f"a price history needs a capacity >= 1, got {capacity}")
        self.capacity = capacity
        self._times: dict[str, list[datetime]] = {}
        self._prices: dict[str, list[Decimal]] = {}

    def record(self, instrument: str, at: datetime, price: Decimal) -> None:
        """Keep ``price`` stamped ``at``; a price older than every kept one of a full history
        is dropped (it could only answer intents older than everything kept)."""
        times = self._times.setdefault(instrument, [])
        prices = self._prices.setdefault(instrument, [])
        index = bisect.bisect_left(times, at)
        if index < len(times) and times[index] == at:
            prices[index] = price
            return
        if len(times) >= self.capacity and index == 0:
            return
        times.insert(index, at)
        prices.insert(index, price)
        if len(times) > self.capacity:
            del times[0]
            del prices[0]

    def at_or_before(self, instrument: str, at: datetime) -> Decimal | None:
        """The latest price of ``instrument`` stamped at or before ``at`` (None if none kept)."""
        times = self._times.get(instrument)
        if not times:
            return None
        index = bisect.bisect_right(times, at)
        return None if index == 0 else self._prices[instrument][index - 1]

    def latest(self, instrument: str) -> Decimal | None:
        """The latest price of ``instrument`` by event time, whatever its time."""
        prices = self._prices.get(instrument)
        return prices[-1] if prices else None

    def instruments(self) -> list[str]:
        return sorted(self._times)

    def to_json(self) -> dict[str, Any]:
        return {
            instrument: [
                [to_micros(t), str(p)]
                for t, p in zip(self._times[instrument], self._prices[instrument], strict=True)
            ]
            for instrument in self.instruments()
        }

    @classmethod
    def from_json(cls, data: Any, capacity: int = DEFAULT_CAPACITY) -> PriceHistory:
        """Rebuild from :meth:`to_json`; raises ProcessingError on a malformed value."""
        history = cls(capacity)
        if not isinstance(data, dict):
            raise ProcessingError(f"risk book prices must be an object, got {type(data).__name__}")
        for instrument, pairs in data.items():
            for pair in pairs:
                micros, price = pair
                history.record(str(instrument), from_micros(int(micros)), q(price))
        return history

    @classmethod
    def from_legacy(cls, last_prices: Any, capacity: int = DEFAULT_CAPACITY) -> PriceHistory:
        """From the unstamped ``last_prices`` of an older snapshot, stamped :data:`LEGACY_TIME`."""
        history = cls(capacity)
        if not isinstance(last_prices, dict):
            raise ProcessingError(
                f"risk book last_prices must be an object, got {type(last_prices).__name__}"
            )
        for instrument, price in last_prices.items():
            history.record(str(instrument), LEGACY_TIME, q(price))
        return history
