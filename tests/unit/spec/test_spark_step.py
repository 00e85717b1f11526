"""The spark_sql step's own rules: target fields only with a target, partitions for partition
overwrites, Hive table names, and the names the Spark job keeps for itself."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_ai_etl.spec import parse_spec
from airflow_ai_etl.spec.io import SpecError
from airflow_ai_etl.spec.models import SparkSqlStep, SparkWriteMode


def _spec(**step: Any) -> dict[str, Any]:
    base = {"id": "transform", "kind": "spark_sql", "conn_id": "spark_default", "sql": "SELECT 1 AS x"}
    return {"dag_id": "spark_dag", "start_date": "2026-01-01", "steps": [{**base, **step}]}


def _problems(**step: Any) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as failure:
        parse_spec(_spec(**step))
    return failure.value.problems


def test_defaults_overwrite_without_partitions() -> None:
    step = parse_spec(_spec(target_table="db.daily")).steps[0]
    assert isinstance(step, SparkSqlStep)
    assert (step.target_table, step.mode, step.partition_by) == ("db.daily", SparkWriteMode.OVERWRITE, [])


def test_a_statement_step_has_no_target() -> None:
    step = parse_spec(_spec(sql="CREATE TABLE IF NOT EXISTS t (a INT) USING parquet")).steps[0]
    assert isinstance(step, SparkSqlStep) and step.target_table is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"mode": "append"}, "only used with 'target_table'"),
        ({"partition_by": ["day"]}, "only used with 'target_table'"),
        ({"target_table": "t", "mode": "overwrite_partitions"}, "needs 'partition_by'"),
        ({"target_table": "t", "partition_by": ["day", "DAY"]}, "lists a column twice"),
        ({"target_table": "t", "mode": "merge"}, "overwrite"),
        ({"target_table": "cat.db.t"}, "should match pattern"),
        ({"target_table": "t;drop"}, "should match pattern"),
        ({"target_table": "orders__ai_etl_staging"}, "reserved"),
        ({"target_table": "t", "partition_by": ["bad name"]}, "should match pattern"),
        ({"sql": "SELECT '{{ ds }}'"}, "template marker"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(fields: dict[str, Any], message: str) -> None:
    problems = _problems(**fields)
    assert len(problems) == 1, problems
    path, text = problems[0]
    assert path.startswith("steps[0](transform)")
    assert message in text
