"""Instruments as data: typed loading of instruments.yaml and rounding to increments.

The default file is the package's ``streams/config/instruments.yaml``; set
``TAPEWIRE_INSTRUMENTS_FILE`` to use another one. Errors are :class:`ConfigError` whose
``field`` names the instrument and the field, e.g. ``instruments[BTC-USD].tick_size``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal, cast, get_args

import yaml
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from streams.decimals import SCALE, q, round_to_increment
from streams.errors import ConfigError

AssetClass = Literal["index", "equity", "etf", "crypto"]
_ASSET_CLASSES: Final = frozenset(get_args(AssetClass))
_FIELDS: Final = frozenset(
    (
        "symbol",
        "venue",
        "venue_symbol",
        "asset_class",
        "currency",
        "tick_size",
        "lot_size",
        "simulation",
    )
)


class InstrumentSettings(BaseSettings):
    """Where the instruments file is (env ``TAPEWIRE_INSTRUMENTS_FILE``)."""

    model_config = SettingsConfigDict(env_prefix="TAPEWIRE_", frozen=True, extra="ignore")

    instruments_file: Path | None = Field(
        default=None,
        description="instruments YAML; unset = the packaged streams/config/instruments.yaml",
    )


@dataclass(frozen=True, slots=True)
class Simulation:
    """Parameters the synthetic feed uses for an instrument."""

    reference_price: Decimal
    annual_volatility: Decimal


@dataclass(frozen=True, slots=True)
class Instrument:
    """One tradable (or reference) instrument and its increments."""

    symbol: str
    venue: str
    venue_symbol: str
    asset_class: AssetClass
    currency: str
    tick_size: Decimal
    lot_size: Decimal
    simulation: Simulation | None = None

    def round_price(self, price: Decimal) -> Decimal:
        """The nearest price on the tick grid (banker's rounding on exact halves)."""
        return (
            price if _on_grid(price, self.tick_size) else round_to_increment(price, self.tick_size)
        )

    def round_size(self, size: Decimal) -> Decimal:
        """The nearest quantity that is a multiple of the lot size."""
        return size if _on_grid(size, self.lot_size) else round_to_increment(size, self.lot_size)


def _on_grid(value: Decimal, increment: Decimal) -> bool:
    """True when ``value`` is already a multiple of ``increment`` at the platform scale.

    The fast path of rounding: most values a feed sends are already on the grid, and this
    check costs a fraction of :func:`round_to_increment`, which returns the same value then.
    """
    try:
        return value.as_tuple().exponent == -SCALE and value % increment == 0
    except InvalidOperation:  # quotient beyond the default precision: take the exact path
        return False


class InstrumentRegistry(Mapping[str, Instrument]):
    """Instruments by symbol, with a look-up by (venue, venue symbol)."""

    def __init__(self, instruments: list[Instrument]) -> None:
        self._by_symbol: dict[str, Instrument] = {}
        self._by_venue: dict[tuple[str, str], Instrument] = {}
        for instrument in instruments:
            if instrument.symbol in self._by_symbol:
                raise ConfigError(f"instruments[{instrument.symbol}]", "duplicate symbol")
            self._by_symbol[instrument.symbol] = instrument
            self._by_venue[(instrument.venue, instrument.venue_symbol.upper())] = instrument

    def __getitem__(self, symbol: str) -> Instrument:
        return self._by_symbol[symbol]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_symbol)

    def __len__(self) -> int:
        return len(self._by_symbol)

    def by_venue_symbol(self, venue: str, venue_symbol: str) -> Instrument | None:
        """The instrument a venue calls ``venue_symbol`` (case-insensitive), if any."""
        return self._by_venue.get((venue, venue_symbol.upper()))


def load_instruments(path: Path | None = None) -> InstrumentRegistry:
    """Load and validate an instruments file (default: settings, then the packaged file)."""
    if path is None:
        path = InstrumentSettings().instruments_file
    if path is None:
        text = resources.files("streams.config").joinpath("instruments.yaml").read_text("utf-8")
        origin = "streams/config/instruments.yaml"
    else:
        if not path.is_file():
            raise ConfigError("instruments_file", f"no such file: {path}")
        text = path.read_text(encoding="utf-8")
        origin = str(path)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError("instruments_file", f"{origin} is not valid YAML: {exc}") from exc
    return parse_instruments(document)


def parse_instruments(document: object) -> InstrumentRegistry:
    """Validate a parsed instruments document (``{"instruments": [...]}``)."""
    if not isinstance(document, dict) or not isinstance(document.get("instruments"), list):
        raise ConfigError("instruments", "the file must hold a mapping with a list 'instruments'")
    entries = cast(list[object], document["instruments"])
    return InstrumentRegistry([_parse_one(index, entry) for index, entry in enumerate(entries)])


def _parse_one(index: int, entry: object) -> Instrument:
    if not isinstance(entry, dict):
        raise ConfigError(f"instruments[{index}]", "each instrument must be a mapping")
    data = cast(dict[str, Any], entry)
    symbol = data.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise ConfigError(f"instruments[{index}].symbol", "a non-empty string is required")
    where = f"instruments[{symbol}]"
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}", "unknown field")
    asset_class = _text(data, where, "asset_class")
    if asset_class not in _ASSET_CLASSES:
        raise ConfigError(f"{where}.asset_class", f"must be one of {sorted(_ASSET_CLASSES)}")
    venue = _text(data, where, "venue")
    venue_symbol = data.get("venue_symbol", symbol)
    if not isinstance(venue_symbol, str) or not venue_symbol:
        raise ConfigError(f"{where}.venue_symbol", "must be a non-empty string")
    return Instrument(
        symbol=symbol,
        venue=venue,
        venue_symbol=venue_symbol,
        asset_class=cast(AssetClass, asset_class),
        currency=_text(data, where, "currency"),
        tick_size=_positive_decimal(data.get("tick_size"), f"{where}.tick_size"),
        lot_size=_positive_decimal(data.get("lot_size"), f"{where}.lot_size"),
        simulation=_simulation(data.get("simulation"), f"{where}.simulation"),
    )


def _text(data: dict[str, Any], where: str, name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}.{name}", "a non-empty string is required")
    return value


def _positive_decimal(value: object, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConfigError(field, f"must be a quoted decimal string, got {value!r}")
    try:
        number = q(value)
    except (InvalidOperation, ValueError) as exc:
        raise ConfigError(field, f"not a decimal number: {value!r}") from exc
    if number <= 0:
        raise ConfigError(field, f"must be positive, got {value!r}")
    return number


def _simulation(value: object, field: str) -> Simulation | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConfigError(field, "must be a mapping with reference_price and annual_volatility")
    data = cast(dict[str, Any], value)
    return Simulation(
        reference_price=_positive_decimal(data.get("reference_price"), f"{field}.reference_price"),
        annual_volatility=_positive_decimal(
            data.get("annual_volatility"), f"{field}.annual_volatility"
        ),
    )
