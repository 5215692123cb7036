"""Grafana's PostgreSQL macros, expanded as Grafana documents them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from streams.db.grafana_macros import (
    GrafanaMacroError,
    TimeRange,
    expand,
    format_interval,
    parse_interval,
)

RANGE = TimeRange(
    datetime(2024, 3, 1, 9, 30, tzinfo=UTC), datetime(2024, 3, 1, 10, 0, 0, 250000, tzinfo=UTC)
)
MINUTE = timedelta(minutes=1)


def test_time_filter_and_bounds_use_rfc3339_utc() -> None:
    sql = "SELECT 1 FROM t WHERE $__timeFilter(time) OR time > $__timeFrom() OR time < $__timeTo()"
    assert expand(sql, RANGE, MINUTE) == (
        "SELECT 1 FROM t WHERE time BETWEEN '2024-03-01T09:30:00Z' AND "
        "'2024-03-01T10:00:00.25Z' OR time > '2024-03-01T09:30:00Z' "
        "OR time < '2024-03-01T10:00:00.25Z'"
    )


def test_time_group_alias_with_the_interval_variable() -> None:
    sql = "SELECT $__timeGroupAlias(time, $__interval), avg(x) FROM t GROUP BY 1"
    assert expand(sql, RANGE, MINUTE) == (
        'SELECT floor(extract(epoch from time)/60)*60 AS "time", avg(x) FROM t GROUP BY 1'
    )
    assert expand(sql, RANGE, MINUTE, timescaledb=True) == (
        "SELECT time_bucket('60.000s',time) AS \"time\", avg(x) FROM t GROUP BY 1"
    )


def test_time_group_with_quoted_interval_and_fill_argument() -> None:
    assert expand("GROUP BY $__timeGroup(time, '5m', 0)", RANGE, MINUTE) == (
        "GROUP BY floor(extract(epoch from time)/300)*300"
    )


def test_time_group_followed_by_a_comma_gets_the_alias_like_grafana() -> None:
    assert expand("SELECT $__timeGroup(time,'1h'), 1", RANGE, MINUTE) == (
        'SELECT floor(extract(epoch from time)/3600)*3600 AS "time", 1'
    )


def test_epoch_macros_and_variables() -> None:
    sql = (
        "$__time(t) $__timeEpoch(t) $__unixEpochFilter(e) $__unixEpochGroupAlias(e, 10s) "
        "$__interval_ms ${__from} $__to $__range_s"
    )
    assert expand(sql, RANGE, timedelta(seconds=30)) == (
        't AS "time" extract(epoch from t) as "time" e >= 1709285400 AND e <= 1709287200 '
        'floor((e)/10)*10 AS "time" 30000 1709285400000 1709287200250 1800'
    )


def test_unix_epoch_nano_filter() -> None:
    assert expand("$__unixEpochNanoFilter(n)", RANGE, MINUTE) == (
        "n >= 1709285400000000000 AND n <= 1709287200250000000"
    )


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT $__nope(time)", "unknown macro"),
        ("WHERE $__timeFilter()", "missing time column"),
        ("GROUP BY $__timeGroup(time)", "needs a time column and an interval"),
        ("GROUP BY $__timeGroup(time, soon)", "error parsing interval"),
    ],
)
def test_bad_macros_are_refused(sql: str, message: str) -> None:
    with pytest.raises(GrafanaMacroError, match=message):
        expand(sql, RANGE, MINUTE)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("100ms", 0.1), ("30s", 30), ("5m", 300), ("'1h'", 3600), ("1d", 86400), ("1w", 604800)],
)
def test_parse_interval(text: str, seconds: float) -> None:
    assert parse_interval(text).total_seconds() == seconds


@pytest.mark.parametrize(
    ("interval", "text"),
    [
        (timedelta(milliseconds=200), "200ms"),
        (timedelta(seconds=15), "15s"),
        (timedelta(minutes=2), "2m"),
        (timedelta(hours=1), "1h"),
        (timedelta(days=1), "1d"),
        (timedelta(seconds=90), "90s"),
    ],
)
def test_format_interval(interval: timedelta, text: str) -> None:
    assert format_interval(interval) == text


def test_time_range_must_be_aware_and_ordered() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        TimeRange(datetime(2024, 1, 1), datetime(2024, 1, 2))  # noqa: DTZ001 - the point
    with pytest.raises(ValueError, match="ends before"):
        TimeRange(RANGE.end, RANGE.start)
