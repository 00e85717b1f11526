"""Rows checks through a real `airflow dags test` run of the rendered DAG (SQLite metadata in a
throwaway AIRFLOW_HOME, the demo shop and an empty warehouse as fresh SQLite copies)."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_ai_etl.evaluation.runner import run_suite
from airflow_ai_etl.evaluation.suite import load_suite

pytestmark = pytest.mark.integration

DEMO = Path(__file__).resolve().parents[3] / "examples" / "demo"

SUITE = f"""
connections: [shop, warehouse]
sqlite_databases:
  - {{conn_id: shop, script: {DEMO / "shop_db.py"}}}
  - {{conn_id: warehouse}}
cases:
  - name: delivered_orders
    request: load orders where status is delivered into the warehouse as delivered_orders
    expect:
      rows:
        - {{conn_id: warehouse, sql: "SELECT COUNT(*), MAX(status) FROM delivered_orders",
            equals: [[61, delivered]]}}
  - name: wrong_row_count
    request: copy customers where country is DE into the warehouse as german_customers
    expect:
      rows:
        - {{conn_id: warehouse, sql: "SELECT COUNT(*) FROM german_customers", equals: [[10]]}}
"""


def test_rows_are_checked_after_a_real_dag_run(tmp_path: Path) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE)

    result = run_suite(load_suite(path), offline=True, with_rows=True)

    delivered, wrong = result.cases
    assert delivered.passed, delivered.problems
    assert delivered.rows == "passed" and delivered.rows_ms > 0
    assert not wrong.passed and wrong.rows == "failed"
    assert wrong.problems == [
        "rows on warehouse (SELECT COUNT(*) FROM german_customers): expected [[10]], got [[9]]"
    ]
