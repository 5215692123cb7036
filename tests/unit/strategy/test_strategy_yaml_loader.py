"""YAML strategy files: the issue's example verbatim, every key, and errors with lines."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from streams.errors import ConfigError
from streams.strategy import parse_strategy_yaml
from streams.strategy.base import RateLimit
from streams.strategy.examples import MACD_TREND, SMA_CROSS
from streams.strategy.rules import DslStrategy, RiskSize
from streams.strategy.yaml_loader import load_strategy_file

ISSUE_EXAMPLE = """\
name: sma_cross
version: 1
instruments: [SPX]
indicators: {fast: sma:10, slow: sma:30}
entry: {when: "crosses_above(fast, slow)", side: buy, quantity: 10}
exit:  {when: "crosses_below(fast, slow)"}
"""


def parse(text: str) -> DslStrategy:
    return parse_strategy_yaml(textwrap.dedent(text), source="test.yaml")


def test_the_issue_example_compiles_verbatim() -> None:
    strategy = parse_strategy_yaml(ISSUE_EXAMPLE)
    assert (strategy.name, strategy.version, strategy.instruments) == ("sma_cross", 1, ("SPX",))
    assert strategy.indicators == {"fast": "sma:10", "slow": "sma:30"}
    assert strategy.account == "default"
    assert strategy.rate_limit == RateLimit()
    (entry,) = strategy.body.entries
    (exit_rule,) = strategy.body.exits
    assert (entry.label, entry.side, entry.size, entry.max_position) == (
        "entry",
        "BUY",
        Decimal(10),
        None,
    )
    assert entry.when.text == "crosses_above(fast, slow)"
    assert (exit_rule.label, exit_rule.applies_to) == ("exit", "any")
    assert strategy.body.crossovers == 2


def test_packaged_examples_load() -> None:
    assert (
        load_strategy_file(SMA_CROSS).fingerprint()
        == parse_strategy_yaml(ISSUE_EXAMPLE).fingerprint()
    )
    macd = load_strategy_file(MACD_TREND)
    assert [rule.label for rule in macd.body.entries] == ["long_trend", "short_trend"]
    assert [rule.side for rule in macd.body.entries] == ["BUY", "SELL"]
    assert [rule.applies_to for rule in macd.body.exits] == ["long", "short"]
    assert isinstance(macd.body.entries[0].size, RiskSize)
    assert macd.body.entries[0].aliases == {"macd", "adx", "atr"}
    assert macd.body.capital == Decimal(100000)
    assert macd.account == "paper"
    assert macd.rate_limit == RateLimit(max_intents=4, window_seconds=86400.0)


def test_every_optional_key() -> None:
    strategy = parse(
        """
        name: full
        version: 3
        description: every key
        instruments: "*"
        account: acct
        interval_seconds: 60
        capital: 50000
        lot_size: 0.5
        tick_size: 0.25
        max_position: 20
        rate_limit: {max_intents: 2, window_seconds: 30}
        indicators: {bb: "bbands:20:2", atr: atr:14}
        entry:
          - name: dip
            when: close < bb.lower
            side: BUY
            size: {risk_fraction: 0.02, stop_distance: "1.5 * atr"}
            limit: bb.lower - 0.1
            time_in_force: day
            max_position: 5
          - when: close > bb.upper
            side: sell
            quantity: 2.5
        exit:
          - {when: "close > bb.middle", applies_to: long, limit: "close + 1"}
          - {when: "close < bb.middle", applies_to: short}
        """
    )
    assert strategy.instruments == ("*",)
    assert strategy.account == "acct"
    assert strategy.interval_seconds == 60
    assert strategy.rate_limit == RateLimit(2, 30.0)
    assert strategy.body.lot_size == Decimal("0.5")
    assert strategy.body.tick_size == Decimal("0.25")
    dip, short = strategy.body.entries
    assert (dip.label, dip.time_in_force, dip.max_position) == ("dip", "DAY", Decimal(5))
    assert dip.limit is not None
    assert dip.limit.text == "bb.lower - 0.1"
    assert (short.label, short.side, short.size, short.max_position) == (
        "entry[1]",
        "SELL",
        Decimal("2.5"),
        Decimal(20),
    )
    assert [rule.label for rule in strategy.body.exits] == ["exit[0]", "exit[1]"]


def test_fingerprint_ignores_comments_and_layout() -> None:
    reformatted = """\
# a comment
name: sma_cross
version: 1
instruments:
  - SPX
indicators:
  fast: sma:10   # normalised spec text is what counts
  slow: sma:30
entry:
  when: crosses_above(fast, slow)
  side: buy
  quantity: 10
exit:
  when: crosses_below(fast, slow)
"""
    assert parse_strategy_yaml(reformatted).fingerprint() == (
        parse_strategy_yaml(ISSUE_EXAMPLE).fingerprint()
    )
    changed = ISSUE_EXAMPLE.replace("quantity: 10", "quantity: 11")
    assert parse_strategy_yaml(changed).fingerprint() != (
        parse_strategy_yaml(ISSUE_EXAMPLE).fingerprint()
    )


BASE = """\
name: s
version: 1
instruments: [SPX]
indicators: {fast: sma:10, slow: sma:30, macd: "macd:12:26:9"}
"""


@pytest.mark.parametrize(
    ("body", "line", "path", "name", "fragment"),
    [
        (
            'entry: {when: "crosses_above(fsat, slow)", side: buy, quantity: 1}\n',
            5,
            "entry.when",
            "fsat",
            "unknown name 'fsat'; known: fast, macd, slow, open",
        ),
        (
            "entry:\n  when: close > macd\n  side: buy\n  quantity: 1\n",
            6,
            "entry.when",
            "macd",
            "macd has several outputs",
        ),
        (
            "entry:\n  - when: close > 1\n    side: buy\n    quantity: 1\n"
            "  - when: crosses_above(fast)\n    side: sell\n    quantity: 1\n",
            9,
            "entry[1].when",
            "crosses_above",
            "takes 2 arguments, got 1",
        ),
        (
            "entry: {when: close > 1, side: buy, quantity: 1}\nexit: {when: close + 1}\n",
            6,
            "exit.when",
            None,
            "must give a boolean",
        ),
        (
            "entry: {when: close > 1, side: buy, quantity: 1, stop: 3}\n",
            5,
            "entry.stop",
            "stop",
            "unknown key 'stop'",
        ),
        (
            "entry: {when: close > 1, side: hold, quantity: 1}\n",
            5,
            "entry.side",
            "hold",
            "must be one of BUY, SELL",
        ),
        (
            "entry: {when: close > 1, side: buy}\n",
            5,
            "entry",
            "quantity",
            "exactly one of 'quantity' or 'size'",
        ),
        (
            "entry: {when: close > 1, side: buy, size: {risk_fraction: 0.1, stop_distance: 1}}\n",
            5,
            "entry.size",
            None,
            "needs a top-level 'capital'",
        ),
        (
            "capital: 1000\nentry:\n  when: close > 1\n  side: buy\n"
            "  size: {risk_fraction: 1.5, stop_distance: '2'}\n",
            9,
            "entry.size.risk_fraction",
            None,
            "must be > 0 and <= 1",
        ),
        (
            "capital: 1000\nentry:\n  when: close > 1\n  side: buy\n"
            "  size: {risk_fraction: 0.1, stop_distance: 'crosses_above(fast, slow)'}\n",
            9,
            "entry.size.stop_distance",
            "crosses_above",
            "only allowed in a rule's 'when'",
        ),
        (
            "lot_size: 5\nentry: {when: close > 1, side: buy, quantity: 7}\n",
            6,
            "entry.quantity",
            None,
            "7 is not a multiple of 5",
        ),
        (
            "entry: {when: close > 1, side: buy, quantity: -3}\n",
            5,
            "entry.quantity",
            None,
            "must be > 0",
        ),
        (
            "entry: {when: close > 1, side: buy, quantity: 1, time_in_force: NOW}\n",
            5,
            "entry.time_in_force",
            "NOW",
            "must be one of GTC, IOC, FOK, DAY",
        ),
        (
            "entry: {when: close > 1, side: buy, quantity: 1}\n"
            "exit: {when: close < 1, applies_to: up}\n",
            6,
            "exit.applies_to",
            "up",
            "must be one of long, short, any",
        ),
        (
            "rate_limit: {max_intents: 0}\nentry: {when: close > 1, side: buy, quantity: 1}\n",
            5,
            "rate_limit.max_intents",
            None,
            "must be an integer >= 1",
        ),
        (
            "entry:\n  - {name: a, when: close > 1, side: buy, quantity: 1}\n"
            "  - {name: a, when: close < 1, side: sell, quantity: 1}\n",
            7,
            "entry[1].name",
            "a",
            "rule name 'a' is used twice",
        ),
        (
            "entry: {when: close > 1, side: buy, quantity: 1}\nentry: {when: close > 2}\n",
            6,
            "entry",
            "entry",
            "duplicate key 'entry'",
        ),
    ],
)
def test_errors_point_at_line_and_name(
    body: str, line: int, path: str, name: str | None, fragment: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_strategy_yaml(BASE + body, source="bad.yaml")
    error = caught.value
    assert fragment in str(error)
    assert getattr(error, "line", None) == line
    assert getattr(error, "path", None) == path
    assert getattr(error, "name", None) == name
    assert str(error).startswith(f"bad.yaml:{line} {path}: ")


def test_expression_column_is_reported() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_strategy_yaml(
            BASE + "entry: {when: 'close > 1 and fast >> slow', side: buy, quantity: 1}\n"
        )
    assert getattr(caught.value, "column", None) == 21
    assert "(column 21 of 'close > 1 and fast >> slow')" in str(caught.value)
    assert getattr(caught.value, "name", None) == ">"


@pytest.mark.parametrize(
    ("text", "line", "path", "name", "fragment"),
    [
        ("name: s\nversion: 1\ninstruments: [SPX\n", 4, "yaml", None, "invalid YAML"),
        ("", None, "yaml", None, "the file is empty"),
        ("- a\n- b\n", 1, "", None, "must be a mapping"),
        ("version: 1\ninstruments: [A]\nentry: {}\n", 1, "name", "name", "missing required"),
        ("name: S-1\nversion: 1\ninstruments: [A]\nentry: {}\n", 1, "name", "S-1", "snake_case"),
        ("name: s\nversion: one\ninstruments: [A]\nentry: {}\n", 2, "version", None, "integer"),
        ("name: s\nversion: 1\ninstruments: []\nentry: {}\n", 3, "instruments", None, "non-empty"),
        (
            "name: s\nversion: 1\ninstruments: [A]\nindicators: {fast: sma:1}\nentry: {}\n",
            4,
            "indicators.fast",
            "fast",
            "period (integer >= 2)",
        ),
        (
            "name: s\nversion: 1\ninstruments: [A]\nindicators: {x: foo:3}\nentry: {}\n",
            4,
            "indicators.x",
            "x",
            "unknown indicator 'foo'",
        ),
        (
            "name: s\nversion: 1\ninstruments: [A]\nindicators: {close: sma:3}\nentry: {}\n",
            4,
            "indicators.close",
            "close",
            "cannot be an alias",
        ),
        (
            "name: s\nversion: 1\ninstruments: [A]\nentry: {side: buy}\n",
            4,
            "entry.when",
            "when",
            "missing 'when'",
        ),
        (
            "name: s\nversion: 1\ninstruments: [A]\nentry: []\n",
            4,
            "entry",
            None,
            "at least one rule",
        ),
        ("nme: s\n", 1, "nme", "nme", "unknown key 'nme'"),
    ],
)
def test_file_level_errors(
    text: str, line: int | None, path: str, name: str | None, fragment: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_strategy_yaml(text, source="f.yaml")
    assert fragment in str(caught.value)
    assert getattr(caught.value, "line", None) == line
    assert getattr(caught.value, "path", None) == path
    assert getattr(caught.value, "name", None) == name


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_strategy_file(tmp_path / "missing.yaml")
