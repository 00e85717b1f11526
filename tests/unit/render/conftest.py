"""Specs to render, and a loader that imports a rendered file the way Airflow does (DagBag)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SPEC: dict[str, Any] = {
    "dag_id": "orders_to_dwh",
    "description": "Nightly load of new orders",
    "request": "every night at 2 load new orders\nand check them",
    "schedule": "0 2 * * *",
    "start_date": "2026-01-01",
    "owner": "data-eng",
    "retries": 2,
    "steps": [
        {
            "id": "load_orders",
            "kind": "transfer",
            "description": "Copy new and changed orders.",
            "source": {"conn_id": "shop_pg", "sql": "SELECT * FROM public.orders"},
            "target": {"conn_id": "dwh", "table": "analytics.orders"},
            "mode": "incremental",
            "key": ["order_id"],
            "watermark": "updated_at",
        },
        {
            "id": "check_orders",
            "kind": "quality_check",
            "conn_id": "dwh",
            "table": "analytics.orders",
            "depends_on": ["load_orders"],
            "checks": [
                {"column": "order_id", "check": "unique"},
                {"column": "order_id", "check": "not_null"},
                {"column": "amount", "check": "min", "bounds": {"geq_to": 0}},
                {"column": "amount", "check": "max", "bounds": {"less_than": 1e6}},
                {"column": "status", "check": "distinct_count", "bounds": {"leq_to": 5}},
                {"check": "row_count", "min": 1, "max": 1000000},
                {"check": "row_count_change", "max_drop_pct": 50, "max_growth_pct": 200.5},
                {"check": "expression", "name": "positive_amount", "condition": "amount >= 0"},
            ],
        },
        {
            "id": "refresh_summary",
            "kind": "sql",
            "conn_id": "dwh",
            "sql": (
                "INSERT INTO analytics.daily_orders\nSELECT order_date, COUNT(*)\n"
                "  FROM analytics.orders\n GROUP BY order_date"
            ),
            "depends_on": ["check_orders"],
        },
    ],
    "on_failure": {"notify": "email", "to": ["data-eng@example.com"], "smtp_conn_id": "smtp_default"},
}


@pytest.fixture
def spec_data() -> dict[str, Any]:
    """A fresh copy of a spec using every renderable kind and check."""
    return copy.deepcopy(SPEC)


@pytest.fixture
def load_dags(tmp_path: Path) -> Callable[[str], dict[str, Any]]:
    """Write rendered source into a dags folder and import it with Airflow's DagBag: {dag_id: DAG}."""
    from airflow.dag_processing.dagbag import DagBag

    def load(source: str) -> dict[str, Any]:
        folder = tmp_path / f"dags_{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        (folder / "generated.py").write_text(source, encoding="utf-8")
        bag = DagBag(dag_folder=str(folder), safe_mode=False)
        assert bag.import_errors == {}
        return dict(bag.dags)

    return load
