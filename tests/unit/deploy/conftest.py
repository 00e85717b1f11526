"""Shared material for the deploy and CLI tests: a small SQLite shop, a spec over it, DAG sources."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import yaml

from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table
from airflow_ai_etl.render.dagfile import GENERATED_MARKER

_COLUMNS = [Column(name="id", type="INTEGER", nullable=False), Column(name="amount", type="NUMERIC")]
SHOP_CATALOG = SchemaCatalog(
    conn_id="shop",
    dialect="sqlite",
    tables=[
        Table(name="orders", columns=_COLUMNS, primary_key=["id"]),
        Table(name="orders_copy", columns=_COLUMNS, primary_key=["id"]),
    ],
)


def make_shop_db(path: Path) -> Path:
    """The tables SHOP_CATALOG describes, in a real SQLite file (for `AIRFLOW_CONN_SHOP`)."""
    with sqlite3.connect(path) as db:
        for table in ("orders", "orders_copy"):
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY NOT NULL, amount NUMERIC)"
            )
    return path


def spec_data(
    *, dag_id: str = "orders_daily", conn_id: str = "shop", sql: str | None = None, **changes: Any
) -> dict[str, Any]:
    """A valid spec over the shop: one SQL step copying orders."""
    data: dict[str, Any] = {
        "dag_id": dag_id,
        "start_date": "2026-01-01",
        "schedule": "@daily",
        "steps": [
            {
                "id": "copy_orders",
                "kind": "sql",
                "conn_id": conn_id,
                "sql": sql or "INSERT INTO orders_copy (id, amount) SELECT id, amount FROM orders",
            }
        ],
    }
    data.update(changes)
    return data


def write_spec(path: Path, **changes: Any) -> Path:
    path.write_text(yaml.safe_dump(spec_data(**changes), sort_keys=False))
    return path


def generated_source(dag_id: str, *, note: str = "v1") -> str:
    """A minimal hand-written DAG file carrying the generated-file header (`note` varies the content)."""
    return f"""{GENERATED_MARKER}
# spec-sha256: {"0" * 64}
# dag_id: {dag_id}
# note: {note}
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG({dag_id!r}, start_date=pendulum.datetime(2026, 1, 1), schedule=None):
    EmptyOperator(task_id="noop")
"""


def broken_source(dag_id: str) -> str:
    """A generated-looking file that fails to import."""
    return generated_source(dag_id, note="broken") + "import no_such_module_for_ai_etl\n"
