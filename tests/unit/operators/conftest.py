"""SQLite databases as Airflow connections, and a minimal task context for execute()."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def sqlite_db(tmp_path: Path, airflow_conn: Callable[..., None]) -> Callable[..., Path]:
    """Factory: a SQLite file defined as Airflow connection `conn_id`, set up with `script`."""

    def make(conn_id: str, script: str = "", path: Path | None = None) -> Path:
        path = path or tmp_path / f"{conn_id}.db"
        with sqlite3.connect(path) as conn:
            conn.executescript(script)
        conn.close()
        airflow_conn(conn_id, conn_type="sqlite", host=str(path))
        return path

    return make


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture
def query() -> Callable[[Path, str], list[tuple[Any, ...]]]:
    return rows
