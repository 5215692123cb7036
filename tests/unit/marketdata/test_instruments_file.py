"""Instruments as data: the packaged file, overrides, validation errors, rounding."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from streams.errors import ConfigError
from streams.marketdata.instruments import InstrumentRegistry, load_instruments, parse_instruments


def entry(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "symbol": "XYZ",
        "venue": "XNAS",
        "asset_class": "equity",
        "currency": "USD",
        "tick_size": "0.01",
        "lot_size": "1",
    }
    base.update(overrides)
    return base


def test_packaged_file_has_the_instruments_the_platform_uses(
    instruments: InstrumentRegistry,
) -> None:
    assert {"SPX", "AAPL", "MSFT", "BTC-USD", "ETH-USD"} <= set(instruments)
    btc = instruments["BTC-USD"]
    assert (btc.venue, btc.venue_symbol, btc.asset_class) == ("BINANCE", "BTCUSDT", "crypto")
    assert btc.lot_size == Decimal("0.00001")
    assert instruments.by_venue_symbol("BINANCE", "btcusdt") is btc
    assert instruments["SPX"].asset_class == "index"
    assert all(i.simulation is not None for i in instruments.values())


def test_rounding_to_increments(instruments: InstrumentRegistry) -> None:
    aapl = instruments["AAPL"]
    assert aapl.round_price(Decimal("190.005")) == Decimal("190.00")  # half to even
    assert aapl.round_price(Decimal("190.0151")) == Decimal("190.02")
    assert aapl.round_size(Decimal("10.4")) == Decimal(10)
    short = aapl.round_price(Decimal("190.01"))  # on the grid but not at the platform scale
    assert short.as_tuple().exponent == -9
    on_grid = aapl.round_price(short)
    assert on_grid is short  # already on the grid at scale 9: returned as is
    assert instruments["ETH-USD"].round_size(Decimal("0.123456")) == Decimal("0.1235")


def test_file_override_by_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "instruments.yaml"
    path.write_text(
        "instruments:\n  - {symbol: ABC, venue: XNYS, asset_class: equity, currency: USD,"
        ' tick_size: "0.05", lot_size: "100"}\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("TAPEWIRE_INSTRUMENTS_FILE", str(path))
    registry = load_instruments()
    assert list(registry) == ["ABC"]
    assert registry["ABC"].tick_size == Decimal("0.05")


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"instruments": [entry(tick_size=0.01)]}, "instruments[XYZ].tick_size"),
        ({"instruments": [entry(lot_size="-1")]}, "instruments[XYZ].lot_size"),
        ({"instruments": [entry(tick_size="abc")]}, "instruments[XYZ].tick_size"),
        ({"instruments": [entry(asset_class="bond")]}, "instruments[XYZ].asset_class"),
        ({"instruments": [entry(currency="")]}, "instruments[XYZ].currency"),
        ({"instruments": [entry(colour="red")]}, "instruments[XYZ].colour"),
        ({"instruments": [entry(symbol=None)]}, "instruments[0].symbol"),
        ({"instruments": [entry(), entry()]}, "instruments[XYZ]"),
        ({"instruments": [entry(simulation={"reference_price": "1"})]},
         "instruments[XYZ].simulation.annual_volatility"),
        ({"symbols": []}, "instruments"),
    ],
    ids=["float", "negative", "text", "class", "currency", "unknown", "symbol", "duplicate",
         "simulation", "shape"],
)  # fmt: skip
def test_errors_name_the_instrument_and_field(document: object, field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_instruments(document)
    assert caught.value.field == field


def test_missing_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_instruments(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("instruments: [", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_instruments(broken)
