"""The read-only column and table checks on SQLite: they read, and the database refuses a write."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.sql.operators.sql import SQLTableCheckOperator

from airflow_ai_etl.operators.sql_checks import (
    ReadOnlySQLColumnCheckOperator,
    ReadOnlySQLTableCheckOperator,
)

WRITE = "UPDATE orders SET amount = 0"


def _checks() -> list[ReadOnlySQLColumnCheckOperator | ReadOnlySQLTableCheckOperator]:
    return [
        ReadOnlySQLTableCheckOperator(
            task_id="table",
            conn_id="shop",
            table="orders",
            checks={"positive": {"check_statement": "amount > 0"}},
        ),
        ReadOnlySQLColumnCheckOperator(
            task_id="columns",
            conn_id="shop",
            table="orders",
            column_mapping={"id": {"null_check": {"equal_to": 0}, "unique_check": {"equal_to": 0}}},
        ),
    ]


def test_sqlite_checks_read_but_the_database_refuses_a_write(
    sqlite_db: Callable[..., Path], query: Callable[[Path, str], list[tuple[Any, ...]]]
) -> None:
    path = sqlite_db(
        "shop", "CREATE TABLE orders (id INTEGER, amount REAL); INSERT INTO orders VALUES (1, 9.5);"
    )
    for check in _checks():
        check.execute({})  # type: ignore[arg-type]
    # A check whose statement writes, as if one got past validation: SQLite's authorizer refuses it.
    for check in _checks():
        check.sql = WRITE
        with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
            check.execute({})  # type: ignore[arg-type]
    assert query(path, "SELECT id, amount FROM orders") == [(1, 9.5)]

    # common-sql's own operator, on the same statement, writes: the refusal above is the hook's doing.
    plain = SQLTableCheckOperator(
        task_id="plain", conn_id="shop", table="orders", checks={"x": {"check_statement": "1 = 1"}}
    )
    plain.sql = WRITE
    with pytest.raises(Exception, match="zero rows"):
        plain.execute({})  # type: ignore[arg-type]
    assert query(path, "SELECT id, amount FROM orders") == [(1, 0.0)]
