"""The agents' tools against a real SQLite file: refusals, time limit, row cap, masking."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from airflow_ai_etl.agents.tools import (
    ToolContext,
    column_profile,
    explain_sql,
    find_join_path,
    list_connections,
    sample_rows,
)
from airflow_ai_etl.catalog import introspect

pytestmark = pytest.mark.integration

DDL = """
CREATE TABLE users (id INTEGER PRIMARY KEY, login TEXT NOT NULL, api_key TEXT, phone TEXT);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    user_id INTEGER REFERENCES users(id),
    kind TEXT,
    at TEXT
);
CREATE VIEW endless AS
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000000000)
    SELECT max(x) AS top FROM n;
"""


@pytest.fixture
def app_db(tmp_path: Path, airflow_conn: Callable[..., None]) -> tuple[ToolContext, Path]:
    path = tmp_path / "app.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(DDL)
        conn.executemany(
            "INSERT INTO users VALUES (?, ?, ?, ?)",
            [(i, f"user{i}", f"key-{i:04d}", f"+49 30 {i:06d}") for i in range(1, 31)],
        )
        conn.executemany(
            "INSERT INTO events VALUES (?, ?, ?, ?)",
            [(i, 1 + i % 30, "login" if i % 3 else None, f"2026-01-{1 + i % 28:02d}") for i in range(1, 91)],
        )
        conn.commit()
    airflow_conn("app_lite", conn_type="sqlite", host=str(path))
    ctx = ToolContext(catalogs={"app_lite": introspect("app_lite")}, timeout_s=1.0, max_rows=7)
    return ctx, path


def _count(path: Path, table: str) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_sample_rows_caps_and_masks(app_db: tuple[ToolContext, Path]) -> None:
    ctx, _ = app_db

    result = sample_rows(ctx, "app_lite", "users", limit=100)

    assert result.ok, result.error
    assert len(result.data["rows"]) == 7 and result.data["truncated"]
    assert set(result.data["masked_columns"]) == {"api_key", "phone"}
    assert all(
        row[2] == "***" and row[3] == "***" and row[1].startswith("user") for row in result.data["rows"]
    )


def test_column_profile(app_db: tuple[ToolContext, Path]) -> None:
    ctx, _ = app_db

    kind = column_profile(ctx, "app_lite", "events", "kind")
    at = column_profile(ctx, "app_lite", "events", "at")

    assert (kind.data["rows_examined"], kind.data["nulls"], kind.data["distinct"]) == (90, 30, 1)
    assert (at.data["min"], at.data["max"]) == ("2026-01-01", "2026-01-28")


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO users (login) VALUES ('x')",
        "DELETE FROM events",
        "DROP TABLE events",
        "WITH d AS (SELECT 1) DELETE FROM events",
        "ATTACH DATABASE ':memory:' AS other",
        "PRAGMA query_only = OFF",
    ],
)
def test_writes_are_refused(app_db: tuple[ToolContext, Path], statement: str) -> None:
    ctx, path = app_db

    result = explain_sql(ctx, "app_lite", statement)

    assert not result.ok and "refused" in (result.error or "")
    assert (_count(path, "users"), _count(path, "events")) == (30, 90)


def test_a_runaway_query_is_interrupted(app_db: tuple[ToolContext, Path]) -> None:
    ctx, _ = app_db

    started = time.monotonic()
    result = sample_rows(ctx, "app_lite", "endless")

    assert not result.ok and "time limit" in (result.error or "")
    assert time.monotonic() - started < 4


def test_explain_and_join_path(app_db: tuple[ToolContext, Path]) -> None:
    ctx, _ = app_db

    plan = explain_sql(ctx, "app_lite", "SELECT u.login FROM events e JOIN users u ON u.id = e.user_id")
    missing = explain_sql(ctx, "app_lite", "SELECT nope FROM users")
    joins = find_join_path(ctx, "app_lite", "users", "events")

    assert plan.ok and plan.data["plan"]
    assert not missing.ok and "nope" in (missing.error or "")
    assert joins.data["joins"][0]["condition"] == "users.id = events.user_id"


def test_list_connections(app_db: tuple[ToolContext, Path]) -> None:
    ctx, path = app_db

    result = list_connections(ctx)

    assert result.data == [{"conn_id": "app_lite", "conn_type": "sqlite", "dialect": "sqlite"}]
    assert str(path) not in str(result.model_dump())
