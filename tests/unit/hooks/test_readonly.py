"""read_first_row and read-only SQLite connections."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from airflow.providers.sqlite.hooks.sqlite import SqliteHook

from airflow_ai_etl.hooks.readonly import read_first_row, read_only_connection


def test_read_first_row(tmp_path: Path, airflow_conn: Callable[..., None]) -> None:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as conn:
        conn.executescript("CREATE TABLE orders (id integer); INSERT INTO orders VALUES (1), (2);")
    conn.close()
    airflow_conn("shop", conn_type="sqlite", host=str(path))
    hook = SqliteHook(sqlite_conn_id="shop")
    assert read_first_row(hook, "SELECT max(id), count(*) FROM orders") == (2, 2)
    assert read_first_row(hook, "SELECT id FROM orders WHERE id > 5") is None


def test_a_read_only_sqlite_connection_refuses_changes_but_keeps_temp_objects(
    tmp_path: Path, airflow_conn: Callable[..., None]
) -> None:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as conn:
        conn.executescript("CREATE TABLE orders (id integer); INSERT INTO orders VALUES (1);")
    conn.close()
    airflow_conn("shop", conn_type="sqlite", host=str(path))
    conn = read_only_connection(SqliteHook(sqlite_conn_id="shop"))
    try:
        for statement in (
            "INSERT INTO orders VALUES (2)",
            "UPDATE orders SET id = 3",
            "DELETE FROM orders",
            "DROP TABLE orders",
            "CREATE TABLE other (id integer)",
            f"ATTACH DATABASE '{tmp_path / 'x.db'}' AS x",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
                conn.execute(statement)
        conn.execute("CREATE TEMP VIEW probe AS SELECT id FROM orders")  # the transfer's type probe
        assert conn.execute("SELECT count(*) FROM probe").fetchone() == (1,)
    finally:
        conn.close()
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT id FROM orders").fetchall() == [(1,)]
    check.close()
