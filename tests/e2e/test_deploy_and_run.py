"""A spec deployed with `ai-etl deploy` and run with `airflow dags test` (dag.test) moves real rows
between two PostgreSQL databases: the first run copies everything, the second moves only rows
changed since the watermark and upserts by key without duplicates."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Airflow, query

pytestmark = pytest.mark.e2e

DAG_ID = "e2e_shop_to_dwh"
T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)

SOURCE_SCHEMA = """
CREATE TABLE public.customers (
    customer_id integer PRIMARY KEY,
    name        text NOT NULL,
    country     text NOT NULL
);
CREATE TABLE public.orders (
    order_id    integer PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES public.customers,
    status      text NOT NULL,
    amount      numeric(10, 2) NOT NULL,
    updated_at  timestamptz NOT NULL
);
"""

SPEC = f"""
spec_version: 1
dag_id: {DAG_ID}
description: Customers (upsert) and orders (incremental) from the shop into the warehouse.
start_date: 2026-01-01
schedule: null
retries: 0
steps:
  - id: create_dim_customers
    kind: sql
    conn_id: dwh
    sql: |
      CREATE TABLE IF NOT EXISTS public.dim_customers (
          customer_id integer PRIMARY KEY,
          name        text NOT NULL,
          country     text NOT NULL
      )
  - id: create_fact_orders
    kind: sql
    conn_id: dwh
    sql: |
      CREATE TABLE IF NOT EXISTS public.fact_orders (
          order_id    integer PRIMARY KEY,
          customer_id integer NOT NULL,
          status      text NOT NULL,
          amount      numeric(10, 2) NOT NULL,
          updated_at  timestamptz NOT NULL
      )
  - id: load_customers
    kind: transfer
    source: {{conn_id: shop, table: public.customers}}
    target: {{conn_id: dwh, table: public.dim_customers}}
    mode: upsert
    key: [customer_id]
    depends_on: [create_dim_customers]
  - id: load_orders
    kind: transfer
    source:
      conn_id: shop
      sql: SELECT order_id, customer_id, status, amount, updated_at FROM public.orders
    target: {{conn_id: dwh, table: public.fact_orders}}
    mode: incremental
    key: [order_id]
    watermark: updated_at
    depends_on: [create_fact_orders, load_customers]
  - id: check_fact_orders
    kind: quality_check
    conn_id: dwh
    table: public.fact_orders
    checks:
      - {{column: order_id, check: unique}}
      - {{column: order_id, check: not_null}}
      - {{check: row_count, min: 1}}
      - {{check: row_count_change, max_drop_pct: 50}}
    depends_on: [load_orders]
"""


def _customer(customer_id: int) -> tuple[Any, ...]:
    return (customer_id, f"customer {customer_id}", ("DE", "FR", "PL", "SE")[customer_id % 4])


def _order(order_id: int, updated_at: dt.datetime) -> tuple[Any, ...]:
    amount = Decimal(order_id * 7 % 500) + Decimal("0.99")
    return (order_id, order_id % 40 + 1, ("paid", "shipped")[order_id % 2], amount, updated_at)


def _insert(uri: str, table: str, rows: list[tuple[Any, ...]]) -> None:
    marks = ", ".join(["%s"] * len(rows[0]))
    for row in rows:
        query(uri, f"INSERT INTO {table} VALUES ({marks})", row)


def _rows(uri: str, table: str, key: str) -> list[tuple[Any, ...]]:
    return query(uri, f"SELECT * FROM {table} ORDER BY {key}")


def test_deployed_spec_moves_rows_incrementally_and_upserts_without_duplicates(
    airflow: Airflow,
    pg_database: Callable[[], str],
    airflow_conn: Callable[..., None],
    tmp_path: Path,
) -> None:
    shop, dwh = pg_database(), pg_database()
    airflow_conn("shop", shop)
    airflow_conn("dwh", dwh)
    query(shop, SOURCE_SCHEMA)
    _insert(shop, "public.customers", [_customer(i) for i in range(1, 41)])
    _insert(shop, "public.orders", [_order(i, T0 + dt.timedelta(minutes=i)) for i in range(1, 201)])
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(SPEC)

    airflow.run("ai-etl", "deploy", str(spec_path), "--dags-folder", str(airflow.dags_folder))
    dag_file = airflow.dags_folder / "ai_etl" / f"{DAG_ID}.py"
    assert dag_file.read_text().startswith("# airflow-ai-etl: generated DAG file")

    # First run: everything is copied.
    airflow.run("airflow", "dags", "test", DAG_ID)
    assert _rows(dwh, "public.dim_customers", "customer_id") == _rows(shop, "public.customers", "customer_id")
    assert _rows(dwh, "public.fact_orders", "order_id") == _rows(shop, "public.orders", "order_id")

    # A mark on an old row in the warehouse: a run that moved old rows again would erase it.
    query(dwh, "UPDATE public.fact_orders SET status = 'marked' WHERE order_id = 10")
    # The shop moves on: new orders and customers, a changed order and a renamed customer.
    later = T0 + dt.timedelta(days=1)
    _insert(shop, "public.customers", [_customer(i) for i in range(41, 46)])
    _insert(shop, "public.orders", [_order(i, later + dt.timedelta(minutes=i)) for i in range(201, 231)])
    query(shop, "UPDATE public.orders SET status = 'refunded', updated_at = %s WHERE order_id = 50", (later,))
    query(shop, "UPDATE public.customers SET name = 'renamed' WHERE customer_id = 7")

    # Second run: only rows past the watermark move; both tables are upserted by key.
    airflow.run("airflow", "dags", "test", DAG_ID)
    assert _rows(dwh, "public.dim_customers", "customer_id") == _rows(shop, "public.customers", "customer_id")
    expected_orders = [
        (*row[:2], "marked", *row[3:]) if row[0] == 10 else row
        for row in _rows(shop, "public.orders", "order_id")
    ]
    assert _rows(dwh, "public.fact_orders", "order_id") == expected_orders
    assert query(dwh, "SELECT count(*), count(DISTINCT order_id) FROM public.fact_orders") == [(230, 230)]
    assert query(dwh, "SELECT status FROM public.fact_orders WHERE order_id = 50") == [("refunded",)]

    # The row-count history kept by the two successful runs (an Airflow Variable per DAG and table).
    variable = f"ai_etl.row_count_history.{DAG_ID}.public.fact_orders"
    history = json.loads(airflow.run("airflow", "variables", "get", variable).stdout)
    assert [entry["count"] for entry in history] == [200, 230]

    # The warehouse loses most of its rows: the next run's check sees a drop of more than 50% against
    # the previous successful run, fails the run and names the table and the counts.
    query(dwh, "DELETE FROM public.fact_orders WHERE order_id <= 200")
    failed = airflow.run("airflow", "dags", "test", DAG_ID, check=False)
    assert failed.returncode != 0
    output = failed.stdout + failed.stderr  # `dags test` runs the tasks in-process and logs here
    assert "row_count_change" in output and "public.fact_orders" in output and "230" in output
    history = json.loads(airflow.run("airflow", "variables", "get", variable).stdout)
    assert [entry["count"] for entry in history] == [200, 230]  # a failed check records nothing
