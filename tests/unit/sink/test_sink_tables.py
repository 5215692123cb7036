"""Folding order changes and the SQL built for each table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from psycopg import sql
from streams.sink.statements import copy_sql, create_stage_sql, insert_sql
from streams.sink.tables import ORDERS, TABLES, TICKS, TableRow, merge_order_rows

T0 = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


def _order(time: datetime, status: str, rank: int, **values: object) -> TableRow:
    base: dict[str, object] = dict.fromkeys(ORDERS.columns)
    base.update(
        client_order_id="c-1",
        run_id="live",
        time=time,
        account="a",
        strategy="s",
        instrument="BTC-USD",
        venue="v",
        side="BUY",
        status=status,
        status_rank=rank,
        last_event_id=f"e-{status}",
        **values,
    )
    return TableRow("orders", tuple(base[c] for c in ORDERS.columns))


def _named(row: TableRow) -> dict[str, object]:
    return dict(zip(ORDERS.columns, row.values, strict=True))


def test_changes_fold_into_the_newest_state_with_earlier_columns_kept() -> None:
    new = _order(T0, "NEW", 0, submitted_time=T0, order_type="MARKET", quantity=Decimal(1))
    ack = _order(T0 + timedelta(seconds=1), "ACKNOWLEDGED", 2, venue_order_id="v-1")
    fill = _order(
        T0 + timedelta(seconds=2), "FILLED", 4, cumulative_quantity=Decimal(1), quantity=Decimal(1)
    )
    for order in ([new, ack, fill], [fill, new, ack], [ack, fill, new]):
        (merged,) = merge_order_rows(order)
        row = _named(merged)
        assert row["status"] == "FILLED"
        assert row["time"] == T0 + timedelta(seconds=2)
        assert row["submitted_time"] == T0
        assert row["order_type"] == "MARKET"
        assert row["venue_order_id"] == "v-1"
        assert row["last_event_id"] == "e-FILLED"


def test_a_terminal_status_is_not_overwritten_by_a_later_cancel_request() -> None:
    fill = _order(T0, "FILLED", 4, cumulative_quantity=Decimal(1))
    cancel = _order(T0 + timedelta(seconds=5), "PENDING_CANCEL", 1)
    (merged,) = merge_order_rows([cancel, fill])
    assert _named(merged)["status"] == "FILLED"


def test_same_time_partial_fills_order_by_cumulative_quantity() -> None:
    first = _order(T0, "PARTIALLY_FILLED", 3, cumulative_quantity=Decimal("0.5"))
    second = _order(T0, "PARTIALLY_FILLED", 3, cumulative_quantity=Decimal("0.8"))
    (merged,) = merge_order_rows([second, first])
    assert _named(merged)["cumulative_quantity"] == Decimal("0.8")


def test_orders_of_different_runs_stay_apart() -> None:
    live = _order(T0, "NEW", 0)
    replay = TableRow(
        "orders",
        tuple(
            "replay-1" if c == "run_id" else v
            for c, v in zip(ORDERS.columns, live.values, strict=True)
        ),
    )
    assert len(merge_order_rows([live, replay])) == 2


def _text(composed: sql.Composable) -> str:
    return composed.as_string(None)


def test_event_tables_ignore_conflicts() -> None:
    sql = _text(insert_sql(TICKS, "stage"))
    assert sql.startswith('INSERT INTO "ticks" AS target ("time", "instrument"')
    assert 'FROM "tapewire_stage_ticks"' in sql
    assert sql.endswith("ON CONFLICT DO NOTHING")
    values = _text(insert_sql(TICKS, "values"))
    assert values.count("%s") == len(TICKS.columns)


def test_orders_merge_on_their_key() -> None:
    sql = _text(insert_sql(ORDERS, "stage"))
    assert 'ON CONFLICT ("client_order_id", "run_id") DO UPDATE SET' in sql
    assert '"submitted_time" = least(target."submitted_time", excluded."submitted_time")' in sql
    assert '"client_order_id" =' not in sql


def test_staging_is_a_session_temp_table() -> None:
    assert _text(create_stage_sql(TICKS)) == (
        'CREATE TEMP TABLE IF NOT EXISTS "tapewire_stage_ticks" (LIKE "ticks" INCLUDING DEFAULTS)'
        " ON COMMIT DELETE ROWS"
    )
    assert _text(copy_sql(TICKS)).startswith('COPY "tapewire_stage_ticks" ("time"')


def test_every_table_ends_with_the_event_columns_or_is_orders() -> None:
    for spec in TABLES.values():
        if spec.mode == "merge":
            assert spec.key == ("client_order_id", "run_id")
        else:
            assert spec.columns[-4:] == ("event_id", "run_id", "ingest_time", "source_agent")
            assert spec.columns[0] == "time"
