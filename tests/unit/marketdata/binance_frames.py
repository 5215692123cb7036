"""Binance frames built from the venue's documented message formats (no recorded traffic).

Combined-stream wrapper ``{"stream": ..., "data": ...}``, ``<symbol>@trade`` and
``<symbol>@bookTicker`` payloads, and the REST ``/api/v3/depth`` and ``/api/v3/trades``
bodies, as the Binance spot API documentation describes them.
"""

from __future__ import annotations

import json
from typing import Any

TRADE_MILLIS = 1_709_294_400_000


def trade_frame(trade_id: int, price: str = "65000.10000000", *, buyer_maker: bool = True) -> str:
    data = {
        "e": "trade",
        "E": TRADE_MILLIS + trade_id,
        "s": "BTCUSDT",
        "t": trade_id,
        "p": price,
        "q": "0.00150000",
        "T": TRADE_MILLIS + trade_id,
        "m": buyer_maker,
        "M": True,
    }
    return json.dumps({"stream": "btcusdt@trade", "data": data})


def book_frame(update_id: int, bid: str = "65000.00000000", ask: str = "65000.01000000") -> str:
    data = {
        "u": update_id,
        "s": "BTCUSDT",
        "b": bid,
        "B": "1.50000000",
        "a": ask,
        "A": "2.00000000",
    }
    return json.dumps({"stream": "btcusdt@bookTicker", "data": data})


def depth_body(last_update_id: int) -> dict[str, Any]:
    return {
        "lastUpdateId": last_update_id,
        "bids": [["64999.90000000", "3.00000000"], ["64999.80000000", "1.00000000"]],
        "asks": [["65000.20000000", "0.50000000"]],
    }


def trades_body(*trade_ids: int) -> list[dict[str, Any]]:
    return [
        {
            "id": trade_id,
            "price": "65000.30000000",
            "qty": "0.01000000",
            "quoteQty": "650.00300000",
            "time": TRADE_MILLIS + trade_id,
            "isBuyerMaker": False,
            "isBestMatch": True,
        }
        for trade_id in trade_ids
    ]
