"""A spec with file_load and file_export steps, deployed with `ai-etl deploy` and run with `airflow dags
test`: CSV objects on S3 (a moto server on 127.0.0.1) are upserted into PostgreSQL, and a summary is
exported back to S3 as Parquet and to a local JSON-lines file. A second run after new and changed
objects upserts without duplicates and replaces both exports."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.e2e.conftest import Airflow, query
from tests.support.s3 import Bucket, bucket, s3_endpoint

__all__ = ["bucket", "s3_endpoint"]  # fixtures used by the test below

pytestmark = pytest.mark.e2e

DAG_ID = "e2e_files_to_dwh"


def spec(bucket: Bucket, export_dir: Path) -> str:
    return f"""
spec_version: 1
dag_id: {DAG_ID}
description: Order files from the lake into the warehouse, and a status summary back out.
start_date: 2026-01-01
schedule: null
retries: 0
steps:
  - id: create_orders
    kind: sql
    conn_id: dwh
    sql: |
      CREATE TABLE IF NOT EXISTS public.orders (
          order_id integer PRIMARY KEY,
          status   text NOT NULL,
          amount   numeric(10, 2) NOT NULL
      )
  - id: load_orders
    kind: file_load
    path: {bucket.url("incoming/orders-*.csv")}
    format: csv
    csv: {{delimiter: ";"}}
    storage_conn_id: lake
    target: {{conn_id: dwh, table: public.orders}}
    mode: upsert
    key: [order_id]
    depends_on: [create_orders]
  - id: export_summary
    kind: file_export
    source:
      conn_id: dwh
      sql: |
        SELECT status, COUNT(*) AS orders, SUM(amount) AS total
          FROM public.orders
         GROUP BY status
         ORDER BY status
    path: {bucket.url("reports/summary.parquet")}
    format: parquet
    storage_conn_id: lake
    depends_on: [load_orders]
  - id: export_orders
    kind: file_export
    source: {{conn_id: dwh, table: public.orders}}
    path: {export_dir}/orders.jsonl
    format: jsonl
    depends_on: [load_orders]
"""


def orders_csv(rows: list[tuple[int, str, str]]) -> str:
    return "order_id;status;amount\n" + "".join(f"{i};{s};{a}\n" for i, s, a in rows)


def first(n: int, m: int) -> list[tuple[int, str, str]]:
    return [(i, ("paid", "open", "shipped")[i % 3], f"{i}.50") for i in range(n, m)]


def summary(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    by_status: dict[str, list[Decimal]] = {}
    for _, status, amount in rows:
        by_status.setdefault(status, []).append(Decimal(amount))
    return [{"status": s, "orders": len(a), "total": sum(a)} for s, a in sorted(by_status.items())]


def test_deployed_file_steps_load_s3_objects_and_export_files(
    airflow: Airflow,
    pg_database: Callable[[], str],
    airflow_conn: Callable[..., None],
    bucket: Bucket,
    tmp_path: Path,
) -> None:
    dwh = pg_database()
    airflow_conn("dwh", dwh)
    export_dir = tmp_path / "exports"
    bucket.put("incoming/orders-1.csv", orders_csv(first(1, 61)))
    bucket.put("incoming/orders-2.csv", orders_csv(first(61, 101)))
    bucket.put("incoming/other.csv", "order_id;status;amount\n999;ignored;1\n")
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(spec(bucket, export_dir))

    airflow.run("ai-etl", "deploy", str(spec_path), "--dags-folder", str(airflow.dags_folder))
    source = (airflow.dags_folder / "ai_etl" / f"{DAG_ID}.py").read_text()
    assert "FileToSqlOperator(" in source and "SqlToFileOperator(" in source

    airflow.run("airflow", "dags", "test", DAG_ID)
    expected = [(i, s, Decimal(a)) for i, s, a in first(1, 101)]
    assert query(dwh, "SELECT order_id, status, amount FROM public.orders ORDER BY order_id") == expected
    report = pq.read_table(io.BytesIO(bucket.get("reports/summary.parquet"))).to_pylist()
    assert report == summary(expected)
    exported = [json.loads(line) for line in (export_dir / "orders.jsonl").read_text().splitlines()]
    assert sorted(exported, key=lambda r: r["order_id"]) == [
        {"order_id": i, "status": s, "amount": str(a)} for i, s, a in expected
    ]
    assert sorted(p.name for p in export_dir.iterdir()) == ["orders.jsonl"]  # no temporary files

    # New objects arrive and one order changes: a rerun upserts, the exports are replaced whole.
    bucket.put("incoming/orders-3.csv", orders_csv([(5, "refunded", "0.00"), *first(101, 111)]))
    airflow.run("airflow", "dags", "test", DAG_ID)
    changed = {5: (5, "refunded", Decimal("0.00"))}
    expected = [changed.get(i, (i, s, Decimal(a))) for i, s, a in first(1, 111)]
    assert query(dwh, "SELECT order_id, status, amount FROM public.orders ORDER BY order_id") == expected
    assert query(dwh, "SELECT COUNT(*), COUNT(DISTINCT order_id) FROM public.orders") == [(110, 110)]
    assert pq.read_table(io.BytesIO(bucket.get("reports/summary.parquet"))).to_pylist() == summary(expected)
    assert len((export_dir / "orders.jsonl").read_text().splitlines()) == 110
    assert sorted(bucket.keys()) == [
        "incoming/orders-1.csv",
        "incoming/orders-2.csv",
        "incoming/orders-3.csv",
        "incoming/other.csv",
        "reports/summary.parquet",
    ]

    # A malformed object fails the run, naming the object and line; the table keeps its rows.
    bucket.put("incoming/orders-4.csv", "order_id;status;amount\n200;paid\n")
    failed = airflow.run("airflow", "dags", "test", DAG_ID, check=False)
    assert failed.returncode != 0
    output = failed.stdout + failed.stderr
    assert f"{bucket.url('incoming/orders-4.csv')}: line 2: expected 3 fields, found 2" in output
    assert query(dwh, "SELECT COUNT(*) FROM public.orders") == [(110,)]
