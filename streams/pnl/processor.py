"""Positions and PnL: fills and marks in, ``pnl.update`` and ``position.snapshot`` out.

Fills (order.event PARTIAL_FILL/FILL, deduplicated by venue trade id) move positions. The
latest price of each instrument **by event time** (a trade tick's price or a bar's close) is
kept: a newer one re-marks the instrument's positions, an older one read late changes nothing,
and a position opened by a fill is marked at once with the latest price known (its fill price
only when no market data of the instrument has been read). So the marks, unrealized and net PnL
and exposures reached once every input has been read do not depend on whether the fills or the
market data were read first (the high-water mark, a running maximum over the updates as
computed, still can: docs/pnl.md, "Marks").

After each event the positions it touched and their STRATEGY, ACCOUNT and GLOBAL aggregates are
recomputed; a ``pnl.update`` goes out for each scope whose figures changed (an identical
re-mark is skipped) and a ``position.snapshot`` (compacted, key ``account:strategy:instrument``)
for each changed position. Flat positions take new marks silently and publish no mark.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Final

from streams.clock import from_micros, to_micros
from streams.decimals import q
from streams.errors import ProcessingError
from streams.events import caused_by
from streams.exchange.market_data import MARKET_DATA_TOPICS, LastPrice, last_price
from streams.orders.lifecycle import FILL_KINDS, EventKind
from streams.pnl.position import Figures, Position
from streams.pnl.tracking import ScopeTrack, fingerprint
from streams.runtime.processor import Output, Processor, Record

EVENT_TOPIC: Final = "order.event"
PNL_TOPIC: Final = "pnl.update"
POSITION_TOPIC: Final = "position.snapshot"
MAX_TRADE_IDS: Final = 50_000

PNL_STATE_SCHEMA: Final[dict[str, Any]] = {
    "type": "record",
    "name": "PnlState",
    "namespace": "tapewire.pnl.state",
    "fields": [
        {"name": "positions", "type": "string", "doc": "JSON list of positions"},
        {"name": "tracks", "type": "string", "doc": "JSON: scope key -> day/HWM/last emitted"},
        {"name": "trade_ids", "type": {"type": "array", "items": "string"}},
        {
            "name": "prices",
            "type": ["null", "string"],
            "default": None,
            "doc": (
                "JSON: instrument -> [event time (micros), price], the latest price by event "
                "time; null in snapshots written before it existed (restored as no price: the "
                "next trade or bar of each instrument sets it)"
            ),
        },
    ],
}


class PnlProcessor(Processor):
    """Per account/strategy/instrument positions with strategy, account and global sums."""

    name: ClassVar[str] = "pnl"
    inputs: ClassVar[tuple[str, ...]] = (EVENT_TOPIC, *MARKET_DATA_TOPICS)
    outputs: ClassVar[tuple[str, ...]] = (PNL_TOPIC, POSITION_TOPIC)
    broadcast: ClassVar[tuple[str, ...]] = MARKET_DATA_TOPICS
    state_schema: ClassVar[dict[str, Any] | None] = PNL_STATE_SCHEMA

    def __init__(self) -> None:
        self.positions: dict[str, Position] = {}
        self.tracks: dict[str, ScopeTrack] = {}
        self.trade_ids: OrderedDict[str, None] = OrderedDict()
        self.prices: dict[str, LastPrice] = {}
        self.duplicate_fills = 0
        self.stale_prices = 0

    def process(self, record: Record) -> list[Output]:
        if record.topic == EVENT_TOPIC:
            return self._on_fill(record.value)
        if record.topic in MARKET_DATA_TOPICS:
            return self._on_mark(record.topic, record.value)
        raise ProcessingError(f"pnl does not consume topic {record.topic!r}")

    # -- inputs ----------------------------------------------------------------------------

    def _on_fill(self, event: dict[str, Any]) -> list[Output]:
        if EventKind(event["kind"]) not in FILL_KINDS:
            return []
        quantity, price = event.get("fill_quantity"), event.get("fill_price")
        if quantity is None or price is None:
            raise ProcessingError(
                f"fill {event['envelope']['event_id']} lacks fill_quantity or fill_price"
            )
        trade_id = event.get("trade_id")
        if trade_id is not None:
            if trade_id in self.trade_ids:
                self.duplicate_fills += 1
                return []
            self.trade_ids[str(trade_id)] = None
            while len(self.trade_ids) > MAX_TRADE_IDS:
                self.trade_ids.popitem(last=False)
        account, strategy = str(event["account"]), str(event["strategy"])
        instrument = str(event["instrument"])
        key = f"{account}:{strategy}:{instrument}"
        position = self.positions.get(key)
        if position is None:
            latest = self.prices.get(instrument)
            position = Position(
                account, strategy, instrument, mark=None if latest is None else latest.price
            )
            self.positions[key] = position
        fee = event.get("fee")
        position.apply_fill(str(event["side"]), q(quantity), q(price), q(fee or 0))
        return self._publish([position], event["envelope"])

    def _on_mark(self, topic: str, value: dict[str, Any]) -> list[Output]:
        price = last_price(topic, value)
        if price is None:
            return []
        known = self.prices.get(price.instrument)
        if known is not None and price.time < known.time:
            self.stale_prices += 1  # read after a later price: marks stay at the later one
            return []
        self.prices[price.instrument] = price
        moved: list[Position] = []
        for position in self.positions.values():
            if position.instrument != price.instrument:
                continue
            position.mark = price.price
            if position.quantity != 0:
                moved.append(position)
        return self._publish(moved, value["envelope"]) if moved else []

    # -- outputs ---------------------------------------------------------------------------

    def _publish(self, touched: list[Position], cause: dict[str, Any]) -> list[Output]:
        at: datetime = cause["event_time"]
        outputs: list[Output] = []
        for position in touched:
            update = self._update(
                cause, at, "POSITION", position.key, Figures.of([position]), position=position
            )
            if update is not None:
                outputs.append(update)
                outputs.append(self._position_snapshot(position, cause))
        strategies = sorted({p.strategy for p in touched})
        accounts = sorted({p.account for p in touched})
        for strategy in strategies:
            members = [p for p in self.positions.values() if p.strategy == strategy]
            outputs.extend(self._aggregate(cause, at, "STRATEGY", members, strategy=strategy))
        for account in accounts:
            members = [p for p in self.positions.values() if p.account == account]
            outputs.extend(self._aggregate(cause, at, "ACCOUNT", members, account=account))
        outputs.extend(self._aggregate(cause, at, "GLOBAL", list(self.positions.values())))
        return outputs

    def _aggregate(
        self,
        cause: dict[str, Any],
        at: datetime,
        scope: str,
        members: list[Position],
        *,
        strategy: str | None = None,
        account: str | None = None,
    ) -> list[Output]:
        key = scope if scope == "GLOBAL" else f"{scope}:{strategy or account}"
        update = self._update(
            cause, at, scope, key, Figures.of(members), strategy=strategy, account=account
        )
        return [] if update is None else [update]

    def _update(
        self,
        cause: dict[str, Any],
        at: datetime,
        scope: str,
        key: str,
        figures: Figures,
        *,
        position: Position | None = None,
        strategy: str | None = None,
        account: str | None = None,
    ) -> Output | None:
        track = self.tracks.get(key)
        if track is None:
            track = ScopeTrack.new(at)
            self.tracks[key] = track
        net = figures.net
        day, daily, high_water_mark, drawdown = track.update(net, at)
        value: dict[str, Any] = {
            "envelope": caused_by(cause, event_type=PNL_TOPIC, agent=self.name, discriminator=key),
            "scope": scope,
            "account": position.account if position is not None else account,
            "strategy": position.strategy if position is not None else strategy,
            "instrument": position.instrument if position is not None else None,
            "quantity": position.quantity if position is not None else None,
            "average_cost": position.average_cost if position is not None else None,
            "mark_price": _published_mark(position),
            "realized_pnl": figures.realized,
            "unrealized_pnl": figures.unrealized,
            "fees": figures.fees,
            "net_pnl": net,
            "gross_exposure": figures.gross_exposure,
            "net_exposure": figures.net_exposure,
            "trading_day": day,
            "daily_pnl": daily,
            "high_water_mark": high_water_mark,
            "drawdown": drawdown,
        }
        seen = fingerprint(value)
        if seen == track.last_emitted:
            return None
        track.last_emitted = seen
        return Output(PNL_TOPIC, key, value)

    def _position_snapshot(self, position: Position, cause: dict[str, Any]) -> Output:
        value = {
            "envelope": caused_by(
                cause, event_type=POSITION_TOPIC, agent=self.name, discriminator=position.key
            ),
            "account": position.account,
            "strategy": position.strategy,
            "instrument": position.instrument,
            "quantity": position.quantity,
            "average_cost": position.average_cost,
            "mark_price": _published_mark(position),
            "realized_pnl": position.realized,
            "unrealized_pnl": position.unrealized,
            "fees": position.fees,
            "net_pnl": position.net,
            "gross_exposure": position.gross_exposure,
            "net_exposure": position.net_exposure,
        }
        return Output(POSITION_TOPIC, position.key, value)

    # -- state -----------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return {
            "positions": json.dumps([p.to_json() for p in self.positions.values()]),
            "tracks": json.dumps({k: t.to_json() for k, t in self.tracks.items()}),
            "trade_ids": list(self.trade_ids),
            "prices": json.dumps(
                {i: [to_micros(p.time), str(p.price)] for i, p in sorted(self.prices.items())}
            ),
        }

    def restore(self, state: dict[str, Any]) -> None:
        positions = [Position.from_json(d) for d in json.loads(state["positions"])]
        self.positions = {p.key: p for p in positions}
        tracks = json.loads(state["tracks"])
        self.tracks = {k: ScopeTrack.from_json(v) for k, v in tracks.items()}
        self.trade_ids = OrderedDict((t, None) for t in state["trade_ids"])
        prices = state.get("prices")
        self.prices = {}
        if prices is not None:
            for instrument, (micros, price) in json.loads(prices).items():
                self.prices[instrument] = LastPrice(instrument, q(price), from_micros(micros))


def _published_mark(position: Position | None) -> Decimal | None:
    """The mark a POSITION update or position snapshot carries: none for an aggregate or a
    flat position (it takes new marks silently, so a published one would only say which
    price happened to be known when it went flat)."""
    if position is None or position.quantity == 0:
        return None
    return position.mark
