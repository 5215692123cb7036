"""``tapewire indicators compute`` end to end on the S&P 500 file, checked against TA-Lib."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import talib
from streams.cli.main import main
from tests.unit.indicators.indicator_data import FloatArray, Ohlcv

SPEC = "ema:20,rsi:14,adx:14,macd:12:26:9,bbands:20:2,atr:14"


@pytest.fixture
def spx_csv(spx: Ohlcv, tmp_path: Path) -> Path:
    path = tmp_path / "spx.csv"
    columns = (spx.open, spx.high, spx.low, spx.close, spx.volume)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["time", "open", "high", "low", "close", "volume"])
        for when, *values in zip(spx.time, *(c.tolist() for c in columns), strict=True):
            writer.writerow([when.date().isoformat(), *(repr(v) for v in values)])
    return path


def _read_columns(path: Path) -> tuple[list[str], dict[str, FloatArray]]:
    with path.open(encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source))
    names = list(rows[0])
    columns = {
        name: np.array([float(row[name]) if row[name] else np.nan for row in rows])
        for name in names[1:]
    }
    return [row["time"] for row in rows], columns


def test_compute_writes_columns_equal_to_talib(
    spx: Ohlcv, spx_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.csv"
    argv = ["indicators", "compute", "--input", str(spx_csv), "--spec", SPEC]
    assert main([*argv, "--output", str(target)]) == 0
    assert "wrote 5031 rows x 12 indicator columns" in capsys.readouterr().err
    times, got = _read_columns(target)
    assert times[0] == "1999-01-04"
    assert len(times) == len(spx.close) == 5031
    h, lo, c = spx.high, spx.low, spx.close
    macd, signal, hist = talib.MACD(c, 12, 26, 9)
    upper, middle, lower = talib.BBANDS(c, 20, 2.0, 2.0)
    expected = {
        "ema_20": talib.EMA(c, 20),
        "rsi_14": talib.RSI(c, 14),
        "adx_14_adx": talib.ADX(h, lo, c, 14),
        "adx_14_plus_di": talib.PLUS_DI(h, lo, c, 14),
        "adx_14_minus_di": talib.MINUS_DI(h, lo, c, 14),
        "macd_12_26_9_macd": macd,
        "macd_12_26_9_signal": signal,
        "macd_12_26_9_hist": hist,
        "bbands_20_2_upper": upper,
        "bbands_20_2_middle": middle,
        "bbands_20_2_lower": lower,
        "atr_14": talib.ATR(h, lo, c, 14),
    }
    assert list(got) == list(expected)
    for name, reference in expected.items():
        np.testing.assert_array_equal(np.isnan(got[name]), np.isnan(reference), err_msg=name)
        valid = ~np.isnan(reference)
        floor = 1e-9 * float(np.max(np.abs(reference[valid])))
        np.testing.assert_allclose(
            got[name][valid], reference[valid], rtol=1e-9, atol=floor, err_msg=name
        )
    assert not list(tmp_path.glob(".*.partial"))


def test_a_bad_spec_fails_at_start_with_exit_code_2(
    spx_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.csv"
    argv = ["indicators", "compute", "--input", str(spx_csv), "--output", str(target)]
    assert main([*argv, "--spec", "ema:20,macd:12:x:9"]) == 2
    error = capsys.readouterr().err
    assert "--spec: indicator spec 'macd:12:x:9': slow must be a number, got 'x'" in error
    assert not target.exists()


def test_malformed_rows_fail_naming_row_column_and_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bars.csv"
    source.write_text(  # with the byte-order mark spreadsheet programs write
        "time,open,high,low,close,volume\n2024-01-02,1,2,0.5,1,10\n2024-01-03,1,2,0.5,1.x,10\n",
        encoding="utf-8-sig",
    )
    target = tmp_path / "out.csv"
    argv = ["indicators", "compute", "--input", str(source), "--spec", "sma:2"]
    assert main([*argv, "--output", str(target)]) == 1
    assert "row 3, column 'close': not a number: '1.x'" in capsys.readouterr().err
    assert not target.exists()
    assert not list(tmp_path.glob(".*.partial"))


def test_missing_input_and_unwritable_output_are_configuration_errors(
    spx_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.csv"
    argv = ["indicators", "compute", "--spec", "sma:2"]
    assert main([*argv, "--input", str(missing), "--output", str(tmp_path / "o.csv")]) == 2
    assert "--input: cannot read" in capsys.readouterr().err
    unwritable = tmp_path / "no-such-dir" / "o.csv"
    assert main([*argv, "--input", str(spx_csv), "--output", str(unwritable)]) == 2
    assert "--output: cannot write" in capsys.readouterr().err


def test_list_shows_every_indicator(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["indicators", "list"]) == 0
    listing = capsys.readouterr().out
    for usage in ("macd:fast:slow:signal", "bbands:period:k", "vwap[:window]", "obv"):
        assert usage in listing
