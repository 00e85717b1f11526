"""read_first_row: one row of a read statement, through a connection it closes."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from airflow.providers.sqlite.hooks.sqlite import SqliteHook

from airflow_ai_etl.hooks.readonly import read_first_row


def test_read_first_row(tmp_path: Path, airflow_conn: Callable[..., None]) -> None:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as conn:
        conn.executescript("CREATE TABLE orders (id integer); INSERT INTO orders VALUES (1), (2);")
    conn.close()
    airflow_conn("shop", conn_type="sqlite", host=str(path))
    hook = SqliteHook(sqlite_conn_id="shop")
    assert read_first_row(hook, "SELECT max(id), count(*) FROM orders") == (2, 2)
    assert read_first_row(hook, "SELECT id FROM orders WHERE id > 5") is None
