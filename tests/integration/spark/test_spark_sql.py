"""SparkSqlTransformOperator and the Spark catalog on a real local Spark with a Hive metastore.

Every operator run is one spark-submit (~15 s here), so each test makes the few runs its claim
needs; the tables live in one session-wide warehouse and metastore (see conftest.py).
"""

from __future__ import annotations

import pytest

from airflow_ai_etl.catalog import Column, introspect
from airflow_ai_etl.catalog.connections import describe_connection
from airflow_ai_etl.hooks.spark import SparkJobError
from airflow_ai_etl.operators.spark import SparkSqlTransformOperator
from airflow_ai_etl.spec import PipelineSpec
from airflow_ai_etl.spec.io import parse_spec
from airflow_ai_etl.validation import ValidationContext, validate_spec
from tests.integration.spark.conftest import CONN_ID
from tests.support.spark import LocalSpark

pytestmark = pytest.mark.integration

SALES_V1 = """
SELECT * FROM VALUES
    (1, 'ann', CAST(10.50 AS DECIMAL(10, 2)), '2026-03-01'),
    (2, 'bob', CAST(20.00 AS DECIMAL(10, 2)), '2026-03-01'),
    (3, 'cy', CAST(5.25 AS DECIMAL(10, 2)), '2026-03-02')
    AS v(id, customer, amount, day)
"""


def _run(task_id: str, sql: str, **kwargs: object) -> dict[str, object]:
    operator = SparkSqlTransformOperator(task_id=task_id, conn_id=CONN_ID, sql=sql, **kwargs)  # type: ignore[arg-type]
    return operator.execute({})  # type: ignore[arg-type]


def _decimal_rows(spark: LocalSpark, table: str) -> list[tuple[object, ...]]:
    return [
        tuple(str(v) if not isinstance(v, int | str) else v for v in row) for row in spark.table_rows(table)
    ]


@pytest.mark.timeout(900)  # three Spark jobs: ~1 min on a quiet machine, far more on a loaded one
def test_overwrite_creates_the_table_reruns_to_the_same_rows_and_partitions_replace_alone(
    local_spark: LocalSpark,
) -> None:
    first = _run("load_sales", SALES_V1, target_table="sales", partition_by=["day"])
    assert first == {
        "target_table": "default.sales",
        "mode": "overwrite",
        "rows": 3,
        "created": True,
    }
    expected = [
        (1, "ann", "10.50", "2026-03-01"),
        (2, "bob", "20.00", "2026-03-01"),
        (3, "cy", "5.25", "2026-03-02"),
    ]
    assert _decimal_rows(local_spark, "sales") == expected

    # A rerun of the same task gives the same table: replaced, not appended to.
    again = _run("load_sales", SALES_V1, target_table="sales", partition_by=["day"])
    assert (again["rows"], again["created"]) == (3, False)
    assert _decimal_rows(local_spark, "sales") == expected
    assert sorted(p.name for p in local_spark.warehouse.iterdir() if p.name.startswith("sales")) == ["sales"]

    # overwrite_partitions replaces 2026-03-02 only; 2026-03-01 keeps its rows. Columns go by name.
    day_two = "SELECT 'dee' AS customer, '2026-03-02' AS day, 4 AS id, CAST(7.00 AS DECIMAL(10, 2)) AS amount"
    _run("fix_day_two", day_two, target_table="sales", mode="overwrite_partitions", partition_by=["day"])
    assert _decimal_rows(local_spark, "sales") == [*expected[:2], (4, "dee", "7.00", "2026-03-02")]


def test_append_adds_the_rows_again_on_every_run(local_spark: LocalSpark) -> None:
    """The documented `append` semantics: not idempotent, a rerun appends the same rows again."""
    sql = "SELECT id, CONCAT('event ', id) AS name FROM range(1, 4)"
    assert _run("append_events", sql, target_table="events", mode="append")["created"] is True
    assert local_spark.table_rows("events") == [(1, "event 1"), (2, "event 2"), (3, "event 3")]
    _run("append_events", sql, target_table="events", mode="append")
    assert local_spark.table_rows("events") == sorted([(i, f"event {i}") for i in (1, 2, 3)] * 2)


def test_a_failing_query_fails_the_task_with_sparks_message_and_leaves_the_target(
    local_spark: LocalSpark,
) -> None:
    _run("make_target", "SELECT 1 AS id", target_table="kept")
    with pytest.raises(SparkJobError) as failure:
        _run("broken", "SELECT id FROM no_such_table", target_table="kept")
    message = str(failure.value)
    assert "TABLE_OR_VIEW_NOT_FOUND" in message and "no_such_table" in message
    assert "JVM stacktrace" not in message
    assert local_spark.table_rows("kept") == [(1,)]


def test_the_catalog_reads_tables_columns_comments_and_partitions_and_grounds_validation(
    local_spark: LocalSpark,
) -> None:
    _run(
        "create_orders",
        "CREATE TABLE IF NOT EXISTS orders (order_id BIGINT COMMENT 'the key', status STRING, "
        "amount DECIMAL(12, 2), day STRING) USING parquet PARTITIONED BY (day) COMMENT 'shop orders'",
    )
    catalog = introspect(CONN_ID)

    assert (catalog.dialect, catalog.default_schema) == ("spark", "default")
    orders = catalog.find_table("orders")
    assert orders is not None
    assert (orders.schema_name, orders.kind, orders.comment) == ("default", "table", "shop orders")
    assert orders.partition_columns == ["day"]
    assert orders.columns == [
        Column(name="order_id", type="bigint", comment="the key"),
        Column(name="status", type="string"),
        Column(name="amount", type="decimal(12,2)"),
        Column(name="day", type="string"),
    ]
    assert [t.name for t in catalog.tables if t.name.endswith(("staging", "retired"))] == []

    def spec(sql: str) -> PipelineSpec:
        step = {"id": "daily", "kind": "spark_sql", "conn_id": CONN_ID, "sql": sql, "target_table": "daily"}
        return parse_spec({"dag_id": "spark_daily", "start_date": "2026-01-01", "steps": [step]})

    # Grounded on what was just read (context_from_airflow would read it again: one more job).
    context = ValidationContext(
        connections={CONN_ID: describe_connection(CONN_ID)}, catalogs={CONN_ID: catalog}
    )
    good = spec("SELECT day, SUM(amount) AS total FROM orders GROUP BY day")
    assert validate_spec(good, context).findings == []
    bad = spec("SELECT day, SUM(price) AS total FROM orders GROUP BY day")
    report = validate_spec(bad, context)
    assert report.codes() == ["sql.unknown_column"]
    assert "price" in report.findings[0].message
