"""context_from_airflow against real Airflow connections (env-defined) and a real SQLite database."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from airflow_ai_etl.spec import PipelineSpec
from airflow_ai_etl.validation import context_from_airflow, validate_spec


def _sqlite_db(path: Path) -> str:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, amount REAL)")
    return f"sqlite://{path}"  # three slashes in all: SqliteHook reads the absolute path after them


def test_context_holds_defined_connections_and_their_catalogs(
    tmp_path: Path, airflow_conn: Callable[..., None], make_spec: Callable[..., PipelineSpec]
) -> None:
    airflow_conn("lite_db", _sqlite_db(tmp_path / "shop.db"))
    airflow_conn("down_pg", "postgresql://postgres@127.0.0.1:1/nowhere")
    spec = make_spec(
        {
            "id": "a",
            "kind": "quality_check",
            "conn_id": "lite_db",
            "table": "orders",
            "checks": [{"check": "row_count"}],
        },
        {
            "id": "b",
            "kind": "quality_check",
            "conn_id": "down_pg",
            "table": "t",
            "checks": [{"check": "row_count"}],
        },
        {
            "id": "c",
            "kind": "quality_check",
            "conn_id": "never_defined",
            "table": "t",
            "checks": [{"check": "row_count"}],
        },
    )
    context = context_from_airflow(spec)

    assert set(context.connections) == {"lite_db", "down_pg"}
    assert context.connections["lite_db"].dialect == "sqlite"
    assert set(context.catalogs) == {"lite_db"}
    assert context.catalogs["lite_db"].find_table("orders") is not None
    assert "down_pg" in context.catalog_errors

    report = validate_spec(spec, context)
    assert [(f.code, f.step_id) for f in report.findings] == [
        ("spec.unknown_connection", "c"),
        ("schema.unknown", None),
    ]
    assert "down_pg" in report.findings[1].message


def test_context_without_introspection(
    tmp_path: Path, airflow_conn: Callable[..., None], make_spec: Callable[..., PipelineSpec]
) -> None:
    airflow_conn("lite_db", _sqlite_db(tmp_path / "shop.db"))
    spec = make_spec(
        {
            "id": "a",
            "kind": "quality_check",
            "conn_id": "lite_db",
            "table": "missing",
            "checks": [{"check": "row_count"}],
        }
    )
    context = context_from_airflow(spec, introspect_schemas=False)
    assert set(context.connections) == {"lite_db"}
    assert context.catalogs == {}
    assert validate_spec(spec, context).codes() == ["schema.unknown"]


def test_validation_reads_structure_only_and_looks_each_connection_up_once(
    tmp_path: Path,
    airflow_conn: Callable[..., None],
    make_spec: Callable[..., PipelineSpec],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No data is sampled for validation (introspection for planning does sample it), and the
    SQLite hook reuses the connection validation looked up instead of asking Airflow again."""
    from airflow.sdk import BaseHook

    from airflow_ai_etl.catalog.introspect import introspect

    path = tmp_path / "desk.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE tickets (ticket_id INTEGER PRIMARY KEY, state TEXT)")
        db.executemany(
            "INSERT INTO tickets VALUES (?, ?)", [(i, ("open", "closed")[i % 2]) for i in range(20)]
        )
    airflow_conn("desk", f"sqlite://{path}")
    lookups: list[str] = []
    real = BaseHook.get_connection.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(
        BaseHook,
        "get_connection",
        classmethod(lambda cls, conn_id: lookups.append(conn_id) or real(cls, conn_id)),
    )
    spec = make_spec(
        {
            "id": "a",
            "kind": "quality_check",
            "conn_id": "desk",
            "table": "tickets",
            "checks": [{"check": "row_count"}],
        }
    )

    catalog = context_from_airflow(spec).catalogs["desk"]

    assert lookups == ["desk"]
    assert [c.values for c in catalog.tables[0].columns] == [None, None]
    sampled = introspect("desk")
    assert [c.values for c in sampled.tables[0].columns] == [None, ["closed", "open"]]
