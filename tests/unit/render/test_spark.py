"""spark_sql steps render to SparkSqlTransformOperator, with only the fields the step sets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_ai_etl.render import render_dag
from airflow_ai_etl.spec import parse_spec


def _spec(*steps: dict[str, Any]) -> dict[str, Any]:
    return {"dag_id": "spark_dag", "start_date": "2026-01-01", "steps": list(steps)}


TRANSFORM = {
    "id": "daily_totals",
    "kind": "spark_sql",
    "conn_id": "spark_default",
    "sql": "SELECT day, SUM(amount) AS total\nFROM shop.orders\nGROUP BY day",
    "target_table": "dwh.daily_totals",
    "mode": "overwrite_partitions",
    "partition_by": ["day"],
}
STATEMENT = {
    "id": "create_orders",
    "kind": "spark_sql",
    "conn_id": "spark_default",
    "sql": "CREATE TABLE IF NOT EXISTS shop.orders (id BIGINT, day STRING) USING parquet",
}


def test_spark_steps_become_spark_sql_transform_tasks(load_dags: Callable[[str], dict[str, Any]]) -> None:
    source = render_dag(parse_spec(_spec(STATEMENT, {**TRANSFORM, "depends_on": ["create_orders"]})))
    assert "from airflow_ai_etl.operators.spark import SparkSqlTransformOperator" in source
    assert source == render_dag(parse_spec(_spec(STATEMENT, {**TRANSFORM, "depends_on": ["create_orders"]})))

    dag = load_dags(source)["spark_dag"]
    task = dag.get_task("daily_totals")
    assert type(task).__name__ == "SparkSqlTransformOperator"
    assert (task.conn_id, task.sql, task.target_table, task.mode, task.partition_by) == (
        "spark_default",
        TRANSFORM["sql"],
        "dwh.daily_totals",
        "overwrite_partitions",
        ["day"],
    )
    assert (
        task.doc_md == "Writes a Spark SQL query's rows to `dwh.daily_totals` on `spark_default` "
        "(mode: overwrite_partitions)."
    )
    assert task.upstream_task_ids == {"create_orders"}
    statement = dag.get_task("create_orders")
    assert (statement.sql, statement.target_table, statement.mode, statement.partition_by) == (
        STATEMENT["sql"],
        None,
        "overwrite",
        [],
    )


def test_a_statement_step_renders_no_target_arguments() -> None:
    source = render_dag(parse_spec(_spec(STATEMENT)))
    assert "target_table" not in source and "mode=" not in source and "partition_by" not in source
