"""ClickHouseHook on chDB: DB-API calls, typed inserts, and common-sql's operators on top of it."""

from __future__ import annotations

from datetime import date

import pytest
from airflow.providers.common.sql.hooks.handlers import fetch_all_handler
from airflow.providers.common.sql.operators.sql import (
    SQLColumnCheckOperator,
    SQLExecuteQueryOperator,
    SQLTableCheckOperator,
)
from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowException

from airflow_ai_etl.hooks.clickhouse import ClickHouseHook

pytestmark = pytest.mark.integration

_ORDERS = """
CREATE TABLE orders (id UInt32, day Date, amount Float64, note Nullable(String))
ENGINE = MergeTree ORDER BY id
"""


@pytest.fixture
def hook(ch_database: str) -> ClickHouseHook:
    hook = BaseHook.get_hook("ch")
    assert isinstance(hook, ClickHouseHook)
    hook.run(_ORDERS)
    return hook


def test_run_and_queries(hook: ClickHouseHook) -> None:
    hook.run(
        [
            "INSERT INTO orders VALUES (1, '2026-01-01', 10.5, 'a')",
            "INSERT INTO orders VALUES (2, '2026-01-02', 3, NULL)",
        ]
    )

    assert hook.get_records("SELECT id, note FROM orders ORDER BY id") == [(1, "a"), (2, None)]
    assert hook.get_first("SELECT sum(amount) FROM orders") == (13.5,)
    rows = hook.run(
        "SELECT id FROM orders WHERE amount > %(low)s", parameters={"low": 5}, handler=fetch_all_handler
    )
    assert rows == [(1,)]
    assert [column[0] for column in hook.last_description or []] == ["id"]


def test_insert_rows_is_typed_and_chunked(hook: ClickHouseHook, ch_database: str) -> None:
    rows = ((i, date(2026, 1, i), float(i), None if i % 2 else f"n{i}") for i in range(1, 6))
    hook.insert_rows(f"{ch_database}.orders", rows, commit_every=2)
    hook.insert_rows("orders", [(7.0, 9)], target_fields=["amount", "id"])

    assert hook.get_records("SELECT id, day, note FROM orders WHERE id < 3 ORDER BY id") == [
        (1, date(2026, 1, 1), None),
        (2, date(2026, 1, 2), "n2"),
    ]
    assert hook.get_first("SELECT count(), max(id) FROM orders") == (6, 9)
    assert hook.get_first("SELECT day, amount FROM orders WHERE id = 9") == (date(1970, 1, 1), 7.0)


def test_insert_rows_refuses_replace(hook: ClickHouseHook) -> None:
    with pytest.raises(ValueError, match="no REPLACE"):
        hook.insert_rows("orders", [(1, date(2026, 1, 1), 1.0, None)], replace=True)


def test_client_reaches_the_same_data(hook: ClickHouseHook) -> None:
    hook.run("INSERT INTO orders VALUES (1, '2026-01-01', 10.5, 'a')")
    client = hook.get_client()
    try:
        assert client.query("SELECT id, amount FROM orders").result_rows == [(1, 10.5)]
    finally:
        client.close()


def test_sql_execute_query_operator(hook: ClickHouseHook) -> None:
    insert = SQLExecuteQueryOperator(
        task_id="insert", conn_id="ch", sql="INSERT INTO orders VALUES (4, '2026-02-01', 1.25, 'x')"
    )
    insert.execute(context={})  # type: ignore[no-untyped-call]
    select = SQLExecuteQueryOperator(task_id="select", conn_id="ch", sql="SELECT id, amount FROM orders")
    assert select.execute(context={}) == [(4, 1.25)]  # type: ignore[no-untyped-call]


def _fill(hook: ClickHouseHook) -> None:
    hook.insert_rows("orders", [(i, date(2026, 1, i), float(i), None) for i in range(1, 4)])


def test_check_operators_pass(hook: ClickHouseHook) -> None:
    _fill(hook)
    SQLColumnCheckOperator(
        task_id="columns",
        conn_id="ch",
        table="orders",
        column_mapping={"id": {"null_check": {"equal_to": 0}, "unique_check": {"equal_to": 0}}},
    ).execute(context={})
    SQLTableCheckOperator(
        task_id="table",
        conn_id="ch",
        table="orders",
        checks={
            "row_count": {"check_statement": "COUNT(*) = 3"},
            "positive": {"check_statement": "amount > 0"},
        },
    ).execute(context={})


def test_check_operators_fail(hook: ClickHouseHook) -> None:
    _fill(hook)
    column_check = SQLColumnCheckOperator(
        task_id="columns",
        conn_id="ch",
        table="orders",
        column_mapping={"note": {"null_check": {"equal_to": 0}}},
    )
    with pytest.raises(AirflowException, match="null_check"):
        column_check.execute(context={})
    table_check = SQLTableCheckOperator(
        task_id="table", conn_id="ch", table="orders", checks={"big": {"check_statement": "amount > 2"}}
    )
    with pytest.raises(AirflowException, match="big"):
        table_check.execute(context={})
