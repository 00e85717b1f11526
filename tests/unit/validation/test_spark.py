"""spark_sql steps against a Spark (Hive) catalog: the read/write allowlists, Spark's ways out of
the catalog, and the target table's columns and partitions."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from airflow_ai_etl.catalog.connections import ConnectionInfo
from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table
from airflow_ai_etl.spec import parse_spec
from airflow_ai_etl.validation import ValidationContext, validate_spec

CONN = "spark_default"


@pytest.fixture
def context() -> ValidationContext:
    catalog = SchemaCatalog(
        conn_id=CONN,
        dialect="spark",
        default_schema="default",
        tables=[
            Table(
                name="orders",
                schema_name="shop",
                columns=[
                    Column(name="order_id", type="bigint"),
                    Column(name="amount", type="decimal(12,2)"),
                    Column(name="day", type="string"),
                ],
                partition_columns=["day"],
            ),
            Table(
                name="daily",
                schema_name="default",
                columns=[Column(name="day", type="string"), Column(name="total", type="decimal(22,2)")],
                partition_columns=["day"],
            ),
        ],
    )
    return ValidationContext(
        connections={CONN: ConnectionInfo(CONN, "spark", "spark")}, catalogs={CONN: catalog}
    )


def _findings(context: ValidationContext, *steps: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    full = [{"id": f"s{i}", "kind": "spark_sql", "conn_id": CONN, **s} for i, s in enumerate(steps)]
    for earlier, step in itertools.pairwise(full):
        step.setdefault("depends_on", [earlier["id"]])
    spec = parse_spec({"dag_id": "spark_dag", "start_date": "2026-01-01", "steps": full})
    return [(f.code, f.step_id, f.field) for f in validate_spec(spec, context).findings]


DAILY = "SELECT day, SUM(amount) AS total FROM shop.orders GROUP BY day"


def test_a_grounded_query_into_a_known_table_is_clean(context: ValidationContext) -> None:
    step = {"sql": DAILY, "target_table": "daily", "mode": "overwrite_partitions", "partition_by": ["day"]}
    assert _findings(context, step) == []


def test_unknown_tables_and_columns_are_found_in_the_spark_catalog(context: ValidationContext) -> None:
    assert _findings(context, {"sql": "SELECT * FROM shop.order", "target_table": "x"}) == [
        ("sql.unknown_table", "s0", "sql")
    ]
    wrong = "SELECT day, SUM(price) AS total FROM shop.orders GROUP BY day"
    assert _findings(context, {"sql": wrong, "target_table": "daily"}) == [
        ("sql.unknown_column", "s0", "sql")
    ]


def test_a_target_query_must_be_read_only(context: ValidationContext) -> None:
    step = {"sql": "INSERT INTO daily SELECT day, 0 AS total FROM shop.orders", "target_table": "x"}
    assert _findings(context, step) == [("sql.statement_not_allowed", "s0", "sql")]


def test_the_query_must_yield_the_targets_columns_by_name(context: ValidationContext) -> None:
    step = {"sql": "SELECT day, SUM(amount) AS amount FROM shop.orders GROUP BY day", "target_table": "daily"}
    assert _findings(context, {**step, "partition_by": ["day"]}) == [("spark.column_mismatch", "s0", "sql")]


def test_partitions_must_match_the_target_or_the_query(context: ValidationContext) -> None:
    existing = {"sql": DAILY, "target_table": "daily", "partition_by": ["total"]}
    assert _findings(context, existing) == [("spark.partition_mismatch", "s0", "partition_by")]
    new = {"sql": DAILY, "target_table": "fresh", "partition_by": ["month"]}
    assert _findings(context, new) == [("spark.partition_mismatch", "s0", "partition_by")]


def test_overwrite_partitions_may_not_read_its_own_target(context: ValidationContext) -> None:
    sql = "SELECT day, total FROM daily WHERE total > 0"
    step = {"sql": sql, "target_table": "daily", "mode": "overwrite_partitions", "partition_by": ["day"]}
    assert _findings(context, step) == [("spark.overwrite_reads_target", "s0", "sql")]
    # overwrite writes aside and swaps, so reading the target is fine there.
    assert _findings(context, {**step, "mode": "overwrite"}) == []


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        (
            "SELECT TRANSFORM(order_id) USING 'sh -c id' AS (x) FROM shop.orders",
            "spark.statement_not_allowed",
        ),
        ("SELECT reflect('java.lang.Runtime', 'getRuntime') AS r", "spark.statement_not_allowed"),
        ("SELECT java_method('java.lang.System', 'exit', 1) AS r", "spark.statement_not_allowed"),
        ("SELECT * FROM parquet.`/etc/secrets`", "spark.path_relation"),
        ("SELECT * FROM csv.`s3a://bucket/key`", "spark.path_relation"),
    ],
)
def test_ways_out_of_the_catalog_are_refused(context: ValidationContext, sql: str, code: str) -> None:
    assert (code, "s0", "sql") in _findings(context, {"sql": sql, "target_table": "x"})


@pytest.mark.parametrize(
    ("sql", "codes"),
    [
        ("INSERT OVERWRITE DIRECTORY '/tmp/out' SELECT * FROM shop.orders", ["spark.statement_not_allowed"]),
        (
            "CREATE TABLE IF NOT EXISTS t (a INT) USING parquet LOCATION '/etc'",
            ["spark.statement_not_allowed"],
        ),
        ("ADD JAR /tmp/evil.jar", ["sql.unparsed_statement"]),
        ("CREATE FUNCTION f AS 'x.Y' USING JAR '/tmp/x.jar'", ["sql.statement_not_allowed"]),
        ("DROP TABLE shop.orders", ["sql.destructive"]),
        ("SET spark.sql.ansi.enabled = false", ["sql.statement_not_allowed"]),
        ("LOAD DATA INPATH '/x' INTO TABLE daily", ["sql.statement_not_allowed"]),
    ],
)
def test_statement_steps_use_the_write_allowlist(
    context: ValidationContext, sql: str, codes: list[str]
) -> None:
    assert [code for code, _, _ in _findings(context, {"sql": sql})] == codes


def test_tables_made_by_earlier_steps_are_known_to_later_ones(context: ValidationContext) -> None:
    create = {"sql": "CREATE TABLE IF NOT EXISTS staging_orders (order_id BIGINT, note STRING) USING parquet"}
    to_target = {"sql": DAILY, "target_table": "shop.by_day"}
    read_both = {
        "sql": "SELECT s.note, d.total FROM staging_orders AS s JOIN shop.by_day AS d ON s.note = d.day",
        "target_table": "report",
    }
    assert _findings(context, create, to_target, read_both) == []
    typo = {**read_both, "sql": "SELECT d.totl FROM shop.by_day AS d"}
    assert _findings(context, create, to_target, typo) == [("sql.unknown_column", "s2", "sql")]


def test_reading_a_table_before_the_step_that_writes_it_is_an_ordering_error(
    context: ValidationContext,
) -> None:
    write = {"id": "write", "kind": "spark_sql", "conn_id": CONN, "sql": DAILY, "target_table": "by_day"}
    read = {
        "id": "read",
        "kind": "spark_sql",
        "conn_id": CONN,
        "sql": "SELECT * FROM by_day",
        "target_table": "r",
    }
    spec = parse_spec({"dag_id": "d", "start_date": "2026-01-01", "steps": [write, read]})
    assert "graph.missing_dependency" in validate_spec(spec, context).codes()


def test_an_unknown_spark_connection_is_reported(context: ValidationContext) -> None:
    spec = parse_spec(
        {
            "dag_id": "d",
            "start_date": "2026-01-01",
            "steps": [
                {"id": "s", "kind": "spark_sql", "conn_id": "nowhere", "sql": DAILY, "target_table": "t"}
            ],
        }
    )
    assert validate_spec(spec, context).codes() == ["spec.unknown_connection"]


@pytest.mark.parametrize(
    "create",
    [
        "CREATE TABLE IF NOT EXISTS sales (id BIGINT, amount DECIMAL(10, 2), day STRING) "
        "USING parquet PARTITIONED BY (day)",
        "CREATE TABLE IF NOT EXISTS sales (id BIGINT, amount DECIMAL(10, 2)) PARTITIONED BY (day STRING) "
        "STORED AS PARQUET",
    ],
)
def test_a_created_tables_partitions_are_known_to_later_steps(
    context: ValidationContext, create: str
) -> None:
    load = {
        "sql": "SELECT order_id AS id, amount, day FROM shop.orders",
        "target_table": "sales",
        "mode": "overwrite_partitions",
    }
    assert _findings(context, {"sql": create}, {**load, "partition_by": ["day"]}) == []
    assert _findings(context, {"sql": create}, {**load, "partition_by": ["id"]}) == [
        ("spark.partition_mismatch", "s1", "partition_by")
    ]
