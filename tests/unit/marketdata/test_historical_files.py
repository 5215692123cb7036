"""Historical file connector: CSV/Parquet, bars/ticks, mappings, time formats, bad rows."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from pydantic import ValidationError
from streams.codec import AvroCodec
from streams.marketdata.errors import MalformedRowError, MarketDataError
from streams.marketdata.file_mapping import BarMapping, TickMapping
from streams.marketdata.files import read_bars, read_ticks, sp500_daily
from streams.marketdata.instruments import InstrumentRegistry


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


def test_sp500_daily_file_loads_as_spx_bars(
    instruments: InstrumentRegistry, codec: AvroCodec
) -> None:
    bars = list(sp500_daily(instruments))
    assert len(bars) == 5031
    first = bars[0]
    assert first["instrument"] == "SPX"
    assert first["start"] == datetime(1999, 1, 4, 5, 0, tzinfo=UTC)  # midnight in New York (EST)
    assert first["end"] == first["start"] + timedelta(days=1)
    assert first["envelope"]["event_time"] == first["end"]
    assert (first["open"], first["close"]) == (Decimal("1229.23"), Decimal("1228.10"))
    assert first["volume"] == Decimal(877_000_000)
    summer = next(b for b in bars if b["start"].month == 7)
    assert summer["start"].hour == 4  # midnight in New York (EDT)
    assert all(a["start"] < b["start"] for a, b in itertools.pairwise(bars))
    assert len({b["envelope"]["event_id"] for b in bars}) == len(bars)
    codec.encode_value("md.bar", "md.bar", first)


def test_csv_bars_labelled_by_close_in_epoch_milliseconds(
    tmp_path: Path, instruments: InstrumentRegistry
) -> None:
    path = write_csv(
        tmp_path / "minute.csv",
        """
ts,sym,o,h,l,c,v
1709294460000,AAPL,180.001,181,179.5,180.5,1200
1709294520000,MSFT,400,401,399,400.25,10
""",
    )
    mapping = BarMapping(
        time="ts", time_format="epoch_ms", instrument="sym", open="o", high="h", low="l",
        close="c", volume="v", interval_seconds=60, time_label="close",
    )  # fmt: skip
    bars = list(read_bars(path, mapping, instruments))
    assert bars[0]["end"] == datetime(2024, 3, 1, 12, 1, tzinfo=UTC)
    assert bars[0]["start"] == datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    assert bars[0]["open"] == Decimal("180.00")
    assert [b["instrument"] for b in bars] == ["AAPL", "MSFT"]
    assert bars[1]["venue"] == "XNAS"


def test_parquet_ticks_trades_and_quotes(
    tmp_path: Path, instruments: InstrumentRegistry, codec: AvroCodec
) -> None:
    table = pa.table(
        {
            "time": [1_709_294_400_000_000, 1_709_294_400_500_000, 1_709_294_401_000_000],
            "kind": ["trade", "QUOTE", "TRADE"],
            "price": [65000.011, None, 65001.0],
            "size": [0.5, None, 0.000014],
            "side": ["b", None, "SELL"],
            "bid": [None, 64999.99, None],
            "bid_qty": [None, 1.25, None],
            "ask": [None, 65000.01, None],
            "ask_qty": [None, 2.0, None],
        }
    )
    path = tmp_path / "btc.parquet"
    pq.write_table(table, path)
    mapping = TickMapping(
        time_format="epoch_us", default_instrument="BTC-USD", kind="kind", side="side",
        bid_price="bid", bid_size="bid_qty", ask_price="ask", ask_size="ask_qty",
    )  # fmt: skip
    ticks = list(read_ticks(path, mapping, instruments, feed="hist"))
    assert [t["kind"] for t in ticks] == ["TRADE", "QUOTE", "TRADE"]
    assert [t["sequence"] for t in ticks] == [1, 2, 3]
    assert ticks[0]["price"] == Decimal("65000.01")
    assert (ticks[0]["aggressor"], ticks[2]["aggressor"]) == ("BUY", "SELL")
    assert ticks[2]["size"] == Decimal("0.00001")
    assert ticks[1]["ask_size"] == Decimal(2)
    assert ticks[1]["envelope"]["event_time"] == datetime(2024, 3, 1, 12, 0, 0, 500_000, tzinfo=UTC)
    for tick in ticks:
        codec.encode_value("md.tick.raw", "md.tick", tick)


def test_parquet_timestamp_column_and_naive_iso_times_use_the_timezone(
    tmp_path: Path, instruments: InstrumentRegistry
) -> None:
    naive = datetime(2024, 3, 11, 9, 30)  # noqa: DTZ001 - a naive file value on purpose
    table = pa.table({"time": [naive], "price": [190.0], "size": [5]})
    path = tmp_path / "aapl.pq"
    pq.write_table(table, path)
    mapping = TickMapping(default_instrument="AAPL", timezone="America/New_York")
    [tick] = read_ticks(path, mapping, instruments)
    assert tick["envelope"]["event_time"] == datetime(2024, 3, 11, 13, 30, tzinfo=UTC)
    csv_path = write_csv(tmp_path / "aapl.csv", "time,price,size\n2024-03-11T09:30:00,190,5")
    [from_csv] = read_ticks(csv_path, mapping, instruments)
    assert from_csv["envelope"]["event_time"] == tick["envelope"]["event_time"]
    with_offset = write_csv(tmp_path / "z.csv", "time,price,size\n2024-03-11T09:30:00Z,190,5")
    [utc] = read_ticks(with_offset, mapping, instruments)
    assert utc["envelope"]["event_time"] == datetime(2024, 3, 11, 9, 30, tzinfo=UTC)


BAR_MAPPING = BarMapping(default_instrument="SPX", time_format="%Y-%m-%d")


@pytest.mark.parametrize(
    "case",
    [
        ("2024-01-02,1,2,0.5,abc,10", 1, "close", "abc"),
        ("2024-01-02,1,2,0.5,1.5,10\n2024-01-03,1,2,0.5,1.5,-3", 2, "volume", "-3"),
        ("2024-13-02,1,2,0.5,1.5,10", 1, "time", "2024-13-02"),
        (",1,2,0.5,1.5,10", 1, "time", ""),
        ("2024-01-02,1,0.9,0.5,1.5,10", 1, "high", "0.9"),
        ("2024-01-02,1,2,1.2,1.5,10", 1, "low", "1.2"),
        ("2024-01-03,1,2,0.5,1.5,10\n2024-01-02,1,2,0.5,1.5,10", 2, "time", "2024-01-02"),
        ("2024-01-02,0,2,0.5,1.5,10", 1, "open", "0"),
    ],
    ids=["number", "negative", "date", "empty-time", "high", "low", "order", "zero"],
)
def test_malformed_rows_name_row_column_and_value(
    tmp_path: Path, instruments: InstrumentRegistry, case: tuple[str, int, str, str]
) -> None:
    body, row, column, value = case
    path = write_csv(tmp_path / "bad.csv", "time,open,high,low,close,volume\n" + body)
    with pytest.raises(MalformedRowError) as caught:
        list(read_bars(path, BAR_MAPPING, instruments))
    assert (caught.value.row, caught.value.column, caught.value.value) == (row, column, value)
    assert f"row {row}" in str(caught.value)
    assert column in str(caught.value)


def test_unknown_instrument_and_missing_column(
    tmp_path: Path, instruments: InstrumentRegistry
) -> None:
    path = write_csv(tmp_path / "t.csv", "time,sym,price,size\n2024-01-02T10:00:00Z,XYZ,1,1")
    with pytest.raises(MalformedRowError, match="unknown instrument"):
        list(read_ticks(path, TickMapping(instrument="sym"), instruments))
    no_size = write_csv(tmp_path / "u.csv", "time,price\n2024-01-02T10:00:00Z,1")
    with pytest.raises(MalformedRowError, match="no such column"):
        list(read_ticks(no_size, TickMapping(default_instrument="AAPL"), instruments))


def test_unknown_format_and_missing_file(tmp_path: Path, instruments: InstrumentRegistry) -> None:
    with pytest.raises(MarketDataError, match="no such file"):
        list(read_bars(tmp_path / "none.csv", BAR_MAPPING, instruments))
    odd = write_csv(tmp_path / "bars.txt", "time")
    with pytest.raises(MarketDataError, match="unknown format"):
        list(read_bars(odd, BAR_MAPPING, instruments))


def test_mapping_validation() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        TickMapping(instrument="sym", default_instrument="AAPL")
    with pytest.raises(ValidationError, match="strptime"):
        TickMapping(default_instrument="AAPL", time_format="unix")
    with pytest.raises(ValidationError, match="timezone"):
        TickMapping(default_instrument="AAPL", timezone="Mars/Olympus")
