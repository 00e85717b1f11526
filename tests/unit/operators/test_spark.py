"""SparkSqlTransformOperator, SparkJobHook and the Spark catalog without Spark: bad configuration
fails naming the field, the job travels as one safe argument, and the job's answer is read back."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import pytest

from airflow_ai_etl.catalog.errors import CatalogError
from airflow_ai_etl.catalog.spark import catalog_from_job
from airflow_ai_etl.hooks.spark import MAX_JOB_BYTES, SparkJobHook, connection_conf, encode_job
from airflow_ai_etl.operators.spark import SparkSqlTransformOperator
from airflow_ai_etl.spark.sql_job import ERROR_MARKER, RESULT_MARKER


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sql": "  "}, "'sql' must be a non-empty"),
        ({"target_table": "t", "mode": "merge"}, "unknown mode 'merge'"),
        ({"mode": "append"}, "only used with 'target_table'"),
        ({"partition_by": ["day"]}, "only used with 'target_table'"),
        ({"target_table": "t", "partition_by": "day"}, "'partition_by' must be a list"),
        ({"target_table": "t", "mode": "overwrite_partitions"}, "needs 'partition_by'"),
        ({"conf": ["spark.x=1"]}, "'conf' must be a mapping"),
        ({"conn_id": ""}, "'conn_id' must name"),
    ],
)
def test_bad_configuration_fails_at_construction_naming_the_field(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=r"^t1: ") as failure:
        SparkSqlTransformOperator(task_id="t1", **{"sql": "SELECT 1", **kwargs})
    assert message in str(failure.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target_table": "db.t; DROP TABLE x"}, "'target_table' 'db.t; DROP TABLE x' is not a table name"),
        ({"target_table": "a.b.c"}, "is not a table name"),
        ({"target_table": "t", "partition_by": ["day`"]}, "'partition_by' has names"),
        ({"target_table": "t", "partition_by": ["day", "Day"]}, "lists a column twice"),
    ],
)
def test_rendered_names_are_checked_before_anything_runs(kwargs: dict[str, Any], message: str) -> None:
    operator = SparkSqlTransformOperator(task_id="t1", sql="SELECT 1", **kwargs)
    with pytest.raises(ValueError, match=message):
        operator.execute({})  # type: ignore[arg-type]


def test_templated_fields_and_the_job() -> None:
    assert set(SparkSqlTransformOperator.template_fields) == {"sql", "target_table", "partition_by", "conf"}
    operator = SparkSqlTransformOperator(
        task_id="t", sql="SELECT 1 AS x", target_table="db.t", mode="append", conf={"spark.a": "1"}
    )
    assert operator.job() == {
        "action": "run",
        "sql": "SELECT 1 AS x",
        "target_table": "db.t",
        "mode": "append",
        "partition_by": [],
    }


def test_the_job_is_one_argument_with_control_characters_escaped() -> None:
    sql = "SELECT 'a\x00b\nc \u2028 é' AS v"
    text = encode_job({"sql": sql})
    assert "\x00" not in text and "\n" not in text
    assert json.loads(text) == {"sql": sql}
    with pytest.raises(ValueError, match="shorten 'sql'"):
        encode_job({"sql": "x" * (MAX_JOB_BYTES + 1)})


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"conf": "spark.a=1"}, "extra 'conf' must be a JSON object"),
        ({"conf": {"spark.a": {"nested": 1}}}, "extra 'conf' entry 'spark.a' must map"),
        ({"conf": {"spark.a": None}}, "extra 'conf' entry 'spark.a' must map"),
    ],
)
def test_bad_connection_conf_names_the_connection_and_entry(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=f"connection 'sp': {message}"):
        connection_conf("sp", extra)


def test_connection_conf_values_become_spark_strings() -> None:
    extra = {"conf": {"spark.a": 2, "spark.b": True, "spark.c": "x"}}
    assert connection_conf("sp", extra) == {"spark.a": "2", "spark.b": "true", "spark.c": "x"}


def test_the_hook_needs_a_spark_connection_and_reads_its_conf(airflow_conn: Callable[..., None]) -> None:
    airflow_conn("not_spark", conn_type="postgres", host="127.0.0.1")
    with pytest.raises(ValueError, match="conn_id: connection 'not_spark' is of type 'postgres'"):
        SparkJobHook(job={"action": "catalog"}, conn_id="not_spark")

    airflow_conn(
        "sp", conn_type="spark", host="local[2]", extra={"conf": {"spark.a": "conn", "spark.b": "conn"}}
    )
    hook = SparkJobHook(job={"action": "catalog"}, conn_id="sp", conf={"spark.b": "task"}, name="n")
    assert hook._connection["master"] == "local[2]"
    assert hook._conf == {"spark.a": "conn", "spark.b": "task", "spark.pyspark.python": sys.executable}
    assert json.loads(hook._application_args[0]) == {"action": "catalog", "name": "n"}

    lines = ["noise\n", f'{ERROR_MARKER}{{"error": "E", "message": "m"}}\n', f"{RESULT_MARKER}not json\n"]
    assert list(hook._read_markers(iter(lines))) == lines  # every line still reaches the task log
    assert hook.error == {"error": "E", "message": "m"}
    assert hook.result is None


def test_catalog_from_the_jobs_answer() -> None:
    answer = {
        "default_database": "default",
        "tables": [
            {
                "database": "shop",
                "name": "orders",
                "type": "MANAGED",
                "comment": "orders",
                "columns": [
                    {"name": "id", "type": "bigint", "nullable": True, "comment": "key", "partition": False},
                    {"name": "day", "type": "string", "nullable": True, "comment": None, "partition": True},
                ],
            },
            {"database": "shop", "name": "v", "type": "VIEW", "comment": None, "columns": []},
        ],
    }
    catalog = catalog_from_job("sp", answer)
    assert (catalog.dialect, catalog.default_schema) == ("spark", "default")
    orders, view = catalog.tables
    assert (orders.qualified_name, orders.kind, orders.comment, orders.partition_columns) == (
        "shop.orders",
        "table",
        "orders",
        ["day"],
    )
    assert [(c.name, c.type, c.comment) for c in orders.columns] == [
        ("id", "bigint", "key"),
        ("day", "string", None),
    ]
    assert view.kind == "view"
    with pytest.raises(CatalogError, match="connection 'sp'"):
        catalog_from_job("sp", {"tables": [{"name": "x"}]})
