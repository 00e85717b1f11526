"""A spec with spark_sql steps, deployed with `ai-etl deploy` (validated against the Hive catalog
that a Spark job reads) and run with `airflow dags test`: the Hive tables hold exactly the rows the
steps wrote, as Spark itself reads them back through the metastore."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.conftest import Airflow
from tests.support.spark import BIN, LocalSpark

pytestmark = pytest.mark.e2e

DAG_ID = "e2e_spark_orders"

SPEC = f"""
spec_version: 1
dag_id: {DAG_ID}
description: Orders into a partitioned Hive table, and their daily totals.
start_date: 2026-01-01
schedule: null
retries: 0
steps:
  - id: create_orders
    kind: spark_sql
    conn_id: spark_e2e
    sql: |
      CREATE TABLE IF NOT EXISTS orders (
          order_id BIGINT, customer STRING, amount DECIMAL(10, 2), day STRING
      ) USING parquet PARTITIONED BY (day)
  - id: load_orders
    kind: spark_sql
    conn_id: spark_e2e
    sql: |
      SELECT * FROM VALUES
          (1, 'ann', 10.50, '2026-03-01'),
          (2, 'bob', 20.00, '2026-03-01'),
          (3, 'cy', 5.25, '2026-03-02')
          AS v(order_id, customer, amount, day)
    target_table: orders
    mode: overwrite_partitions
    partition_by: [day]
    depends_on: [create_orders]
  - id: daily_totals
    kind: spark_sql
    conn_id: spark_e2e
    sql: |
      SELECT day, COUNT(*) AS orders, SUM(amount) AS total
      FROM orders
      GROUP BY day
    target_table: daily_totals
    depends_on: [load_orders]
"""


@pytest.mark.timeout(900)  # five Spark jobs (validation's catalog read, three steps, the read-back)
def test_deployed_spark_sql_spec_writes_the_hive_tables(
    airflow: Airflow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spark = LocalSpark(tmp_path / "spark")
    spark.root.mkdir()
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")  # spark-submit
    monkeypatch.setenv("AIRFLOW_CONN_SPARK_E2E", spark.connection())
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(SPEC)

    airflow.run("ai-etl", "deploy", str(spec_path), "--dags-folder", str(airflow.dags_folder), timeout=300)
    source = (airflow.dags_folder / "ai_etl" / f"{DAG_ID}.py").read_text()
    assert "SparkSqlTransformOperator(" in source

    airflow.run("airflow", "dags", "test", DAG_ID, timeout=420)

    orders, totals = spark.spark_rows(
        "SELECT order_id, customer, CAST(amount AS STRING), day FROM orders",
        "SELECT day, orders, CAST(total AS STRING) FROM daily_totals",
    )
    assert orders == [
        [1, "ann", "10.50", "2026-03-01"],
        [2, "bob", "20.00", "2026-03-01"],
        [3, "cy", "5.25", "2026-03-02"],
    ]
    assert totals == [["2026-03-01", 2, "30.50"], ["2026-03-02", 1, "5.25"]]
