"""Deterministic, realistic events of every type the sink writes.

Used by the sink's tests, the dashboard tests (every panel must return rows), the sink
benchmark and anyone who wants a populated analyst database without running the whole
trading chain. Events are plain dicts exactly matching their Avro schemas.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from streams.decimals import q
from streams.events import derive_event_id, envelope

INSTRUMENTS: Final = ("BTC-USD", "ETH-USD")
STRATEGY: Final = "sma_cross"
ACCOUNT: Final = "paper-1"
VENUE: Final = "simulated"
_START_PRICES: Final = {"BTC-USD": Decimal("30000"), "ETH-USD": Decimal("2000")}


def _env(event_type: str, when: datetime, agent: str, *id_parts: object) -> dict[str, Any]:
    return envelope(
        event_type=event_type,
        event_id=derive_event_id(event_type, *id_parts),
        event_time=when,
        ingest_time=when + timedelta(milliseconds=3),
        agent=agent,
    )


def tick(
    instrument: str, when: datetime, sequence: int, price: Decimal, size: Decimal
) -> dict[str, Any]:
    """A trade tick."""
    return {
        "envelope": _env("md.tick", when, "tick_normalizer", instrument, sequence),
        "instrument": instrument,
        "venue": VENUE,
        "feed": "synthetic",
        "sequence": sequence,
        "kind": "TRADE",
        "price": q(price),
        "size": q(size),
        "aggressor": "BUY" if sequence % 2 else "SELL",
        "trade_id": f"{instrument}-{sequence}",
        "bid_price": None,
        "bid_size": None,
        "ask_price": None,
        "ask_size": None,
    }


def quote(instrument: str, when: datetime, sequence: int, mid: Decimal) -> dict[str, Any]:
    """A quote tick around ``mid`` (spread of 2 basis points)."""
    half = q(mid * Decimal("0.0001"))
    return {
        "envelope": _env("md.tick", when, "tick_normalizer", instrument, sequence),
        "instrument": instrument,
        "venue": VENUE,
        "feed": "synthetic",
        "sequence": sequence,
        "kind": "QUOTE",
        "price": None,
        "size": None,
        "aggressor": None,
        "trade_id": None,
        "bid_price": q(mid - half),
        "bid_size": q(Decimal("1.5")),
        "ask_price": q(mid + half),
        "ask_size": q(Decimal("2.25")),
    }


@dataclass(slots=True)
class _Book:
    """Running state of the generator for one instrument."""

    price: Decimal
    position: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    realized: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    prices: list[Decimal] = field(default_factory=list)


@dataclass(slots=True)
class SampleMarket:
    """Generates a few minutes of a small market with one strategy trading it."""

    start: datetime
    minutes: int = 10
    seed: int = 7
    events: list[dict[str, Any]] = field(default_factory=list)

    def generate(self) -> list[dict[str, Any]]:
        rng = random.Random(self.seed)  # noqa: S311 - sample data, not cryptography
        books = {name: _Book(price=_START_PRICES[name]) for name in INSTRUMENTS}
        sequence = 0
        for minute in range(self.minutes):
            bar_start = self.start + timedelta(minutes=minute)
            for name, book in books.items():
                book.prices = []
                for second in range(0, 60, 5):
                    sequence += 1
                    when = bar_start + timedelta(seconds=second)
                    move = Decimal(rng.randint(-20, 20)) / Decimal(10000)
                    book.price = q(book.price * (1 + move))
                    size = q(Decimal(rng.randint(1, 50)) / Decimal(10))
                    book.prices.append(book.price)
                    self.events.append(tick(name, when, sequence, book.price, size))
                    sequence += 1
                    self.events.append(quote(name, when, sequence, book.price))
                bar_end = bar_start + timedelta(minutes=1)
                self.events.append(self._bar(name, bar_start, bar_end, book.prices))
                self.events.append(self._indicator(name, bar_end, minute, book.prices))
                self._trade(name, book, bar_end, minute)
            self._pnl(books, bar_start + timedelta(minutes=1), minute)
        self.events.sort(key=lambda e: e["envelope"]["event_time"])
        return self.events

    def _bar(
        self, name: str, start: datetime, end: datetime, prices: list[Decimal]
    ) -> dict[str, Any]:
        return {
            "envelope": _env("md.bar", end, "bar_aggregator", name, end),
            "instrument": name,
            "venue": VENUE,
            "interval_seconds": 60,
            "start": start,
            "end": end,
            "open": prices[0],
            "high": max(prices),
            "low": min(prices),
            "close": prices[-1],
            "volume": q(Decimal(len(prices))),
            "vwap": q(sum(prices, Decimal(0)) / len(prices)),
            "trade_count": len(prices),
            "revision": 0,
        }

    def _indicator(
        self, name: str, end: datetime, minute: int, prices: list[Decimal]
    ) -> dict[str, Any]:
        mean = float(sum(prices, Decimal(0)) / len(prices))
        return {
            "envelope": _env("indicator.value", end, "indicators", name, end, "sma"),
            "instrument": name,
            "indicator": "sma",
            "parameters": "12",
            "version": 1,
            "interval_seconds": 60,
            "bar_end": end,
            "ready": minute >= 1,
            "values": {"sma": mean, "deviation": float(max(prices) - min(prices))},
        }

    def _trade(self, name: str, book: _Book, when: datetime, minute: int) -> None:
        """Every minute: an intent; approved ones become orders that fill in two parts."""
        side = "BUY" if minute % 2 == 0 else "SELL"
        quantity = q(Decimal("0.5"))
        intent: dict[str, Any] = {
            "envelope": _env("strategy.intent", when, "strategy", name, minute),
            "strategy": STRATEGY,
            "strategy_version": 1,
            "account": ACCOUNT,
            "instrument": name,
            "side": side,
            "quantity": quantity,
            "order_type": "MARKET",
            "limit_price": None,
            "time_in_force": "IOC",
            "reason": "fast average crossed the slow one",
            "reference_price": book.price,
        }
        rejected = minute % 5 == 4
        decision_time = when + timedelta(milliseconds=2)
        reasons = (
            [
                {
                    "code": "MAX_POSITION",
                    "message": "position limit reached",
                    "limit": q(Decimal("1")),
                    "actual": q(Decimal("1.5")),
                }
            ]
            if rejected
            else []
        )
        decision = {
            **{k: v for k, v in intent.items() if k not in ("reason", "envelope")},
            "envelope": _env(
                "risk.decision", decision_time, "risk", intent["envelope"]["event_id"]
            ),
            "intent_id": intent["envelope"]["event_id"],
            "outcome": "REJECTED" if rejected else "APPROVED",
            "reasons": reasons,
        }
        self.events += [intent, decision]
        if rejected:
            self.events.append(self._violation(name, when, minute))
            return
        self._order(name, book, decision, side, quantity)

    def _order(
        self, name: str, book: _Book, decision: dict[str, Any], side: str, quantity: Decimal
    ) -> None:
        sent = decision["envelope"]["event_time"] + timedelta(milliseconds=1)
        client_order_id = derive_event_id("client-order", decision["envelope"]["event_id"])
        command = {
            "envelope": _env("order.command", sent, "order_manager", client_order_id),
            "command": "NEW",
            "client_order_id": client_order_id,
            "decision_id": decision["envelope"]["event_id"],
            "account": ACCOUNT,
            "strategy": STRATEGY,
            "instrument": name,
            "venue": VENUE,
            "side": side,
            "quantity": quantity,
            "order_type": "MARKET",
            "limit_price": None,
            "time_in_force": "IOC",
        }
        self.events.append(command)
        slip = Decimal("1.0002") if side == "BUY" else Decimal("0.9998")
        price = q(book.price * slip)
        half = q(quantity / 2)
        steps = [("ACK", None), ("PARTIAL_FILL", half), ("FILL", half)]
        cumulative = Decimal(0)
        for number, (kind, fill) in enumerate(steps, start=1):
            cumulative = q(cumulative + (fill or 0))
            fee = q(price * fill * Decimal("0.001")) if fill else None
            self.events.append(
                {
                    "envelope": _env(
                        "order.event",
                        sent + timedelta(milliseconds=5 * number),
                        "exchange",
                        client_order_id,
                        kind,
                    ),
                    "client_order_id": client_order_id,
                    "venue_order_id": f"v-{client_order_id[:8]}",
                    "account": ACCOUNT,
                    "strategy": STRATEGY,
                    "instrument": name,
                    "venue": VENUE,
                    "kind": kind,
                    "side": side,
                    "order_quantity": quantity,
                    "fill_quantity": fill,
                    "fill_price": price if fill else None,
                    "trade_id": f"t-{client_order_id[:8]}-{number}" if fill else None,
                    "cumulative_quantity": cumulative,
                    "leaves_quantity": q(quantity - cumulative),
                    "fee": fee,
                    "fee_currency": "USD" if fill else None,
                    "liquidity": "TAKER" if fill else None,
                    "reason": None,
                    "order_status": None,
                    "average_price": None,
                    "position_quantity": None,
                }
            )
            if fill:
                self._apply_fill(book, side, fill, price, fee or Decimal(0))
        self.events.append(self._position(name, book, sent + timedelta(milliseconds=20)))

    @staticmethod
    def _apply_fill(book: _Book, side: str, fill: Decimal, price: Decimal, fee: Decimal) -> None:
        signed = fill if side == "BUY" else -fill
        if book.position == 0 or (book.position > 0) == (signed > 0):
            book.cost = q(book.cost + signed * price)
        else:
            average = book.cost / book.position
            book.realized = q(book.realized + (price - average) * (-signed))
            book.cost = q(book.cost + signed * average)
        book.position = q(book.position + signed)
        book.fees = q(book.fees + fee)

    def _position(self, name: str, book: _Book, when: datetime) -> dict[str, Any]:
        return {
            "envelope": _env("position.snapshot", when, "pnl", name, when),
            "account": ACCOUNT,
            "strategy": STRATEGY,
            "instrument": name,
            **self._pnl_values(book),
        }

    @staticmethod
    def _pnl_values(book: _Book) -> dict[str, Decimal | None]:
        average = q(book.cost / book.position) if book.position else q(0)
        unrealized = q(book.position * book.price - book.cost)
        return {
            "quantity": book.position,
            "average_cost": average,
            "mark_price": book.price,
            "realized_pnl": book.realized,
            "unrealized_pnl": unrealized,
            "fees": book.fees,
            "net_pnl": q(book.realized + unrealized - book.fees),
            "gross_exposure": q(abs(book.position * book.price)),
            "net_exposure": q(book.position * book.price),
        }

    def _pnl(self, books: dict[str, _Book], when: datetime, minute: int) -> None:
        total: dict[str, Decimal] = {}
        for name, book in books.items():
            values = self._pnl_values(book)
            self.events.append(self._pnl_event("POSITION", when, name, values, minute))
            for key in ("realized_pnl", "unrealized_pnl", "fees", "net_pnl", "net_exposure"):
                total[key] = q(total.get(key, Decimal(0)) + (values[key] or 0))
            total["gross_exposure"] = q(
                total.get("gross_exposure", Decimal(0)) + (values["gross_exposure"] or 0)
            )
        for scope in ("STRATEGY", "ACCOUNT", "GLOBAL"):
            self.events.append(self._pnl_event(scope, when, None, dict(total), minute))

    def _pnl_event(
        self,
        scope: str,
        when: datetime,
        instrument: str | None,
        values: dict[str, Any],
        minute: int,
    ) -> dict[str, Any]:
        net = values["net_pnl"]
        position_fields = ("quantity", "average_cost", "mark_price")
        return {
            "envelope": _env("pnl.update", when, "pnl", scope, instrument, minute),
            "scope": scope,
            "account": ACCOUNT if scope != "GLOBAL" else None,
            "strategy": STRATEGY if scope in ("POSITION", "STRATEGY") else None,
            "instrument": instrument,
            **{k: (values.get(k) if instrument else None) for k in position_fields},
            **{k: values[k] for k in ("realized_pnl", "unrealized_pnl", "fees", "net_pnl")},
            "gross_exposure": values["gross_exposure"],
            "net_exposure": values["net_exposure"],
            "trading_day": when.date(),
            "daily_pnl": net,
            "high_water_mark": max(net, q(0)),
            "drawdown": q(max(q(0), max(net, q(0)) - net)),
        }

    def _violation(self, name: str, when: datetime, minute: int) -> dict[str, Any]:
        return {
            "envelope": _env("risk.violation", when, "risk", name, minute),
            "scope": "STRATEGY",
            "strategy": STRATEGY,
            "account": ACCOUNT,
            "limit": "MAX_DRAWDOWN",
            "limit_value": q(Decimal("100")),
            "actual_value": q(Decimal("120")),
            "action": "WARN",
            "message": "drawdown above the warning level",
        }


def dead_letter_event(when: datetime, offset: int) -> dict[str, Any]:
    """A ``system.deadletter`` event for an undecodable record of md.tick."""
    return {
        "envelope": _env("system.deadletter", when, "tick_normalizer", "md.tick", offset),
        "agent": "tick_normalizer",
        "origin_topic": "md.tick",
        "origin_partition": 0,
        "origin_offset": offset,
        "origin_timestamp": when - timedelta(seconds=2),
        "error_class": "streams.errors.ValueDecodeError",
        "error_message": "bad magic byte 7",
        "key": b"BTC-USD",
        "value": b"\x07garbage",
    }


def sample_events(start: datetime, minutes: int = 10, seed: int = 7) -> list[dict[str, Any]]:
    """Every sinkable event type over ``minutes`` minutes from ``start``, in event-time order."""
    events = SampleMarket(start=start, minutes=minutes, seed=seed).generate()
    events.append(dead_letter_event(start + timedelta(seconds=30), offset=41))
    events.sort(key=lambda e: e["envelope"]["event_time"])
    return events


def tick_stream(start: datetime, count: int, seed: int = 11) -> Iterator[dict[str, Any]]:
    """``count`` trade ticks, 10 ms apart, alternating instruments (for benchmarks)."""
    rng = random.Random(seed)  # noqa: S311 - sample data, not cryptography
    prices = dict(_START_PRICES)
    for sequence in range(count):
        name = INSTRUMENTS[sequence % len(INSTRUMENTS)]
        prices[name] = q(prices[name] * (1 + Decimal(rng.randint(-5, 5)) / Decimal(10000)))
        size = q(Decimal(rng.randint(1, 100)) / Decimal(10))
        yield tick(
            name, start + timedelta(milliseconds=10 * sequence), sequence, prices[name], size
        )
