"""Backtest inputs: the --config YAML, column detection, mappings, the window and the CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from streams.backtest.config import parse_backtest_config
from streams.backtest.data import detect_mapping, load_mapping, window
from streams.backtest.progress import ProgressBar, render
from streams.cli.main import main
from streams.clock import ManualClock
from streams.decimals import q
from streams.errors import ConfigError
from streams.marketdata.file_mapping import SP500_DAILY, TickMapping
from streams.marketdata.files import sp500_path
from streams.strategy.examples import SMA_CROSS

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


def _write_bars(path: Path, header: list[str], count: int, stamp: str = "iso") -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for n in range(count):
            at = T0 + timedelta(minutes=n)
            when = at.isoformat() if stamp == "iso" else str(int(at.timestamp() * 1000))
            close = 100 + (n * 7) % 11 - (n % 4)
            writer.writerow([when, close - 0.5, close + 1, close - 1, close, 50][: len(header)])


# -- config ----------------------------------------------------------------------------------


def test_defaults_fill_bars_at_once_with_the_packaged_costs() -> None:
    config = parse_backtest_config(None)
    assert config.capital == q(100_000)
    assert (config.exchange.fill_on, config.exchange.latency_ms) == ("bars", 0)
    assert config.exchange.fees.taker_bps == q(5)
    assert config.risk.defaults.max_position == q(1000)


def test_sections_override_the_defaults_key_by_key() -> None:
    config = parse_backtest_config(
        {
            "capital": "2500.5",
            "exchange": {"latency_ms": 10, "fees": {"maker_bps": "0"}},
            "risk": {"defaults": {"max_position": "5"}},
        }
    )
    assert config.capital == q("2500.5")
    assert config.exchange.latency_ms == 10
    assert (config.exchange.fees.maker_bps, config.exchange.fees.taker_bps) == (q(0), q(5))
    assert config.risk.defaults.max_position == q(5)
    assert config.risk.defaults.max_order_quantity is None, "a risk section replaces the file"


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"capital": 1.5}, "capital"),
        ({"capital": "-3"}, "capital"),
        ({"capitol": "1"}, "config.capitol"),
        ({"exchange": {"fees": {"taker_bps": 0.5}}}, "exchange.fees.taker_bps"),
        ({"exchange": {"fill_on": "trades"}}, "exchange.fill_on"),
        ({"exchange": {"latency": 5}}, "exchange.latency"),
        ({"risk": {"defaults": {"max_position": "-1"}}}, "risk.defaults.max_position"),
        ([1, 2], "config"),
    ],
)
def test_a_bad_config_names_the_field(document: object, field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_backtest_config(document)
    assert caught.value.field == field


# -- data --------------------------------------------------------------------------------------


def test_the_sp500_file_is_recognised_as_is() -> None:
    mapping = detect_mapping(sp500_path(), "SPX")
    assert mapping == SP500_DAILY


def test_intraday_iso_csv_columns_are_detected_case_insensitively(tmp_path: Path) -> None:
    path = tmp_path / "bars.csv"
    _write_bars(path, ["Timestamp", "OPEN", "High", "low", "Close"], 20)
    mapping = detect_mapping(path, "SPY")
    assert (mapping.time, mapping.time_format, mapping.interval_seconds) == (
        "Timestamp",
        "iso8601",
        60,
    )
    assert (mapping.open, mapping.low, mapping.volume) == ("OPEN", "low", None)
    assert mapping.default_instrument == "SPY"


def test_epoch_milliseconds_and_parquet_dates_are_detected(tmp_path: Path) -> None:
    path = tmp_path / "bars.csv"
    _write_bars(path, ["time", "open", "high", "low", "close", "volume"], 10, stamp="ms")
    mapping = detect_mapping(path, "SPY")
    assert (mapping.time_format, mapping.interval_seconds, mapping.volume) == (
        "epoch_ms",
        60,
        "volume",
    )
    table = pa.table(
        {
            "date": [date(2024, 1, d) for d in (2, 3, 4)],
            "open": [1.0, 2.0, 3.0],
            "high": [2.0, 3.0, 4.0],
            "low": [0.5, 1.5, 2.5],
            "close": [1.5, 2.5, 3.5],
        }
    )
    parquet = tmp_path / "daily.parquet"
    pq.write_table(table, parquet)
    daily = detect_mapping(parquet, "SPX", "America/New_York")
    assert (daily.interval_seconds, daily.time_label, daily.timezone) == (
        86_400,
        "open",
        "America/New_York",
    )


def test_undetectable_files_ask_for_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "bars.csv"
    _write_bars(path, ["when", "open", "high", "low", "close"], 5)
    with pytest.raises(ConfigError, match="use --mapping") as caught:
        detect_mapping(path, "SPY")
    assert caught.value.field == "--data"
    _write_bars(path, ["time", "open", "high", "low"], 5)
    with pytest.raises(ConfigError, match="'close'"):
        detect_mapping(path, "SPY")


def test_a_mapping_file_is_validated_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text("time: ts\ntime_format: '%Y'\ninterval_seconds: 60\n", encoding="utf-8")
    mapping = load_mapping(path, "SPY")
    assert (mapping.time, mapping.default_instrument) == ("ts", "SPY")
    path.write_text("time: ts\ntime_format: yesterday\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_mapping(path, "SPY")
    assert caught.value.field == "mapping.time_format"


def test_date_bounds_cover_whole_days_in_the_data_timezone() -> None:
    selected = window("2010-01-04", "2010-01-05", "America/New_York")
    assert selected.start == datetime(2010, 1, 4, 5, tzinfo=UTC)
    assert selected.end == datetime(2010, 1, 6, 5, tzinfo=UTC)
    assert not selected.keeps(datetime(2010, 1, 4, 5, tzinfo=UTC))
    assert selected.keeps(datetime(2010, 1, 6, 5, tzinfo=UTC))
    with pytest.raises(ConfigError) as caught:
        window("2010-13-01", None, "UTC")
    assert caught.value.field == "--from"
    with pytest.raises(ConfigError) as caught:
        window("2010-02-01", "2010-01-01", "UTC")
    assert caught.value.field == "--to"


# -- progress ----------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_draws_on_a_terminal_only() -> None:
    assert render(50, 200, 2.0, unit="bars") == (
        "backtest [########......................]  25% 50/200 bars 25 bars/s"
    )
    clock = ManualClock(T0)
    terminal = _Terminal()
    bar = ProgressBar(terminal, clock, 4, unit="bars", every=1.0)
    bar.tick()
    clock.advance(0.5)
    bar.tick()
    clock.advance(1.0)
    bar.tick()
    bar.close()
    lines = terminal.getvalue().split("\r")[1:]
    assert len(lines) == 3, "first tick, the tick after 1 s, and close"
    assert lines[-1].startswith("backtest [")
    assert lines[-1].endswith("\n")
    quiet = io.StringIO()
    silent = ProgressBar(quiet, clock, 4)
    silent.tick()
    silent.close()
    assert quiet.getvalue() == ""


# -- command line ------------------------------------------------------------------------------


def test_a_generic_bar_file_backtests_within_the_window(tmp_path: Path) -> None:
    path = tmp_path / "spy.csv"
    _write_bars(path, ["time", "open", "high", "low", "close", "volume"], 300)
    out = tmp_path / "out"
    code = main(
        [
            "backtest",
            "--data",
            str(path),
            "--strategy",
            str(SMA_CROSS),
            "--instrument",
            "SPX",
            "--from",
            (T0 + timedelta(minutes=49)).isoformat(),
            "--to",
            (T0 + timedelta(minutes=250)).isoformat(),
            "--output",
            str(out),
        ]
    )
    assert code == 0
    with (out / "equity.csv").open(encoding="utf-8") as handle:
        times = [datetime.fromisoformat(r["time"]) for r in csv.DictReader(handle)]
    assert times[0] == T0 + timedelta(minutes=50)
    assert times[-1] == T0 + timedelta(minutes=250)
    assert len(times) == 201


@pytest.mark.parametrize(
    ("extra", "option"),
    [
        (["--data", "missing.csv"], "--data"),
        (["--from", "soon"], "--from"),
        (["--instrument", "NOPE"], "--instrument"),
        (["--strategy", "no/such/strategy.yaml"], "strategy"),
    ],
)
def test_bad_arguments_fail_at_start_with_exit_2_naming_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], option: str
) -> None:
    base = {
        "--data": str(sp500_path()),
        "--strategy": str(SMA_CROSS),
        "--output": str(tmp_path / "out"),
    }
    for name, value in zip(extra[::2], extra[1::2], strict=True):
        base[name] = value
    argv = ["backtest", *[item for pair in base.items() for item in pair]]
    assert main(argv) == 2
    assert option in capsys.readouterr().err
    assert not (tmp_path / "out").exists(), "nothing is written when validation fails"


# -- tick files --------------------------------------------------------------------------------

TICK_STRATEGY = """
name: tick_cross
version: 1
lot_size: 0.001
instruments: [BTC-USD]
indicators: {fast: sma:3, slow: sma:8}
entry: {when: "crosses_above(fast, slow)", side: buy, quantity: 0.01}
exit: {when: "crosses_below(fast, slow)"}
"""


def _write_ticks(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Timestamp", "Price", "Qty", "Side"])
        for n in range(count):
            at = T0 + timedelta(seconds=2 * n)
            price = 65_000 + (n * 37) % 101 - (n % 13) * 4
            writer.writerow([at.isoformat(), f"{price}.25", "0.5", "buy" if n % 2 else "sell"])


def test_a_tick_file_is_detected_and_aggregated_into_the_strategys_bars(tmp_path: Path) -> None:
    ticks, strategy, out = tmp_path / "ticks.csv", tmp_path / "tick.yaml", tmp_path / "out"
    _write_ticks(ticks, 1_800)
    strategy.write_text(TICK_STRATEGY, encoding="utf-8")
    argv = ["backtest", "--data", str(ticks), "--strategy", str(strategy), "--output", str(out)]
    assert main([*argv, "--bar-interval", "0"]) == 2
    assert not out.exists()
    assert main([*argv, "--bar-interval", "60"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (summary["data_kind"], summary["interval_seconds"]) == ("ticks", 60)
    assert summary["bars"] == 60, "1 hour of ticks every 2 s: 60 one-minute bars"
    assert summary["orders"] > 0
    with (out / "trades.csv").open(encoding="utf-8") as handle:
        trades = list(csv.DictReader(handle))
    assert len(trades) == summary["fills"] > 0


def test_a_bar_interval_is_refused_for_bar_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["backtest", "--data", str(sp500_path()), "--strategy", str(SMA_CROSS)]
    code = main([*argv, "--output", str(tmp_path / "o"), "--bar-interval", "60"])
    assert code == 2
    assert "--bar-interval" in capsys.readouterr().err


def test_a_mapping_with_tick_fields_is_a_tick_mapping(tmp_path: Path) -> None:
    path = tmp_path / "ticks.yaml"
    path.write_text("time: ts\nprice: last\nsize: qty\n", encoding="utf-8")
    mapping = load_mapping(path, "BTC-USD")
    assert isinstance(mapping, TickMapping)
    assert (mapping.price, mapping.size, mapping.default_instrument) == ("last", "qty", "BTC-USD")


def test_the_config_file_reaches_the_risk_gate_and_the_capital(tmp_path: Path) -> None:
    config, out = tmp_path / "config.yaml", tmp_path / "out"
    config.write_text(
        'capital: "5000"\nrisk:\n  defaults: {max_order_quantity: "5"}\n', encoding="utf-8"
    )
    argv = ["backtest", "--data", str(sp500_path()), "--strategy", str(SMA_CROSS)]
    window_args = ["--from", "2003-01-01", "--to", "2004-12-31"]
    assert main([*argv, *window_args, "--config", str(config), "--output", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["intents"] > 0
    assert (summary["rejected"], summary["approved"], summary["orders"]) == (
        summary["intents"],
        0,
        0,
    )
    assert summary["initial_capital"] == summary["final_equity"] == "5000.000000000"
    assert (out / "trades.csv").read_text(encoding="utf-8").count("\n") == 1, "header only"
