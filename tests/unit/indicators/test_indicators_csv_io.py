"""Reading bar CSVs (errors name row, column and value) and writing indicator tables."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from streams.indicators import parse_specs
from streams.indicators.csv_io import format_value, read_bars, write_indicators
from streams.indicators.errors import BarFileError

HEADER = "time,open,high,low,close,volume\n"


def _bars(text: str) -> list[tuple[int, str, float, float]]:
    return [(b.row, b.time_text, b.bar.close, b.bar.volume) for b in read_bars(io.StringIO(text))]


def test_reads_rows_in_any_column_order_and_case_ignoring_extra_columns() -> None:
    text = (
        "Volume, Close ,LOW,high,open,time,note\n"
        "100,10.5,9,11,10,2024-01-02,a\n"
        "\n"
        "200,10.25,9.5,11,10.5,2024-01-03T00:00:00+01:00,b\n"
    )
    bars = list(read_bars(io.StringIO(text)))
    assert [(b.row, b.time_text, b.bar.close, b.bar.volume) for b in bars] == [
        (2, "2024-01-02", 10.5, 100.0),
        (4, "2024-01-03T00:00:00+01:00", 10.25, 200.0),
    ]
    assert bars[0].bar.time == datetime(2024, 1, 2, tzinfo=UTC)
    assert bars[1].bar.time == datetime(2024, 1, 3, tzinfo=timezone(timedelta(hours=1)))
    assert bars[1].bar.time.tzinfo == UTC


@pytest.mark.parametrize(
    ("text", "row", "column", "message"),
    [
        ("", 1, "time", "empty file"),
        ("time,open,high,low,close\n", 1, "volume", "missing column volume"),
        ("time,open,close,volume\n", 1, "high", "missing columns high, low"),
        (HEADER.strip() + ",close\n", 1, "close", "'close' appears twice"),
        (HEADER + "2024-01-02,1,2,0.5,abc,10\n", 2, "close", "not a number: 'abc'"),
        (HEADER + "2024-01-02,1,2,0.5,1,\n", 2, "volume", "not a number: ''"),
        (HEADER + "2024-01-02,1,inf,0.5,1,10\n", 2, "high", "not a finite number: 'inf'"),
        (HEADER + "2024-01-02,1,2,0.5,nan,10\n", 2, "close", "not a finite number: 'nan'"),
        (HEADER + "02/01/2024,1,2,0.5,1,10\n", 2, "time", "not an ISO 8601 time: '02/01/2024'"),
        (HEADER + "2024-01-02,1,2,3,1,10\n", 2, "low", "'3' is above high 2.0"),
        (HEADER + "2024-01-02,1,2,0.5,1,-10\n", 2, "volume", "'-10' is negative"),
        (HEADER + "2024-01-02,1,2,0.5,1\n", 2, "volume", "expected 6 fields, got 5"),
        (HEADER + "2024-01-02,1,2,0.5,1,1,7\n", 2, "#7", "expected 6 fields, got 7"),
        (
            HEADER + "2024-01-02,1,2,0.5,1,10\n2024-01-02,1,2,0.5,1,10\n",
            3,
            "time",
            "'2024-01-02' is not after the previous row's time",
        ),
    ],
)
def test_malformed_input_names_row_column_and_value(
    text: str, row: int, column: str, message: str
) -> None:
    with pytest.raises(BarFileError, match=message) as caught:
        _bars(text)
    assert (caught.value.row, caught.value.column) == (row, column)
    assert str(caught.value).startswith(f"row {row}, column {column!r}: ")


def test_writes_time_and_one_column_per_output_with_empty_warm_up_cells() -> None:
    text = HEADER + "".join(
        f"2024-01-{day:02d},{c},{c + 1},{c - 1},{c},{10 * day}\n"
        for day, c in enumerate([10.0, 11.0, 10.5, 12.0, 0.1], start=1)
    )
    out = io.StringIO()
    rows = write_indicators(out, read_bars(io.StringIO(text)), parse_specs("sma:2,macd:2:3:2"))
    assert rows == 5
    lines = out.getvalue().splitlines()
    assert lines[0] == "time,sma_2,macd_2_3_2_macd,macd_2_3_2_signal,macd_2_3_2_hist"
    assert lines[1] == "2024-01-01,,,,"
    assert lines[2] == "2024-01-02,10.5,,,"
    assert lines[3].startswith("2024-01-03,10.75,,")
    assert lines[4].count(",") == 4
    assert "" not in lines[4].split(",")
    assert lines[5].split(",")[1] == repr((12.0 + 0.1) / 2)


@pytest.mark.parametrize("value", [0.1, 1 / 3, -2.5e-300, 1234567.890123456, 0.0])
def test_values_keep_full_precision(value: float) -> None:
    assert float(format_value(value)) == value
    assert format_value(None) == ""
