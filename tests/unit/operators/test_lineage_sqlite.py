"""OpenLineage facets of TransferOperator between SQLite files: datasets, schema, SQL, column lineage."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from airflow_ai_etl.operators import TransferOperator

SOURCE = """
CREATE TABLE orders (id INTEGER PRIMARY KEY, amount NUMERIC, customer_id INTEGER);
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
INSERT INTO customers VALUES (1, 'ada');
INSERT INTO orders VALUES (1, 10, 1), (2, 20, 1);
"""
TARGET = "CREATE TABLE order_facts (order_id INTEGER, total NUMERIC, customer TEXT);"
SQL = (
    "SELECT o.id AS order_id, o.amount * 1.2 AS total, upper(c.name) AS customer "
    "FROM orders o JOIN customers c ON c.id = o.customer_id"
)


def _fields(facets: dict[str, Any], name: str) -> dict[str, list[tuple[str, str, str]]]:
    facet = facets[name]
    return {
        column: sorted((f.name, f.field, f.transformations[0].subtype) for f in lineage.inputFields)
        for column, lineage in facet.fields.items()
    }


def test_transfer_lineage_names_tables_columns_and_sql(sqlite_db: Callable[..., Path]) -> None:
    src, dst = sqlite_db("src", SOURCE), sqlite_db("dst", TARGET)
    operator = TransferOperator(
        task_id="facts",
        source_conn_id="src",
        target_conn_id="dst",
        target_table="order_facts",
        source_sql=SQL,
    )
    result = operator.execute({})  # type: ignore[arg-type]
    assert result["rows"] == 2

    started = operator.get_openlineage_facets_on_start()
    assert [(d.namespace, d.name) for d in started.inputs] == [
        (f"sqlite://{src}", "orders"),
        (f"sqlite://{src}", "customers"),
    ]
    assert started.job_facets["sql"].query == SQL

    done = operator.get_openlineage_facets_on_complete(None)
    orders, _ = done.inputs
    assert [(f.name, f.type) for f in orders.facets["schema"].fields] == [
        ("id", "INTEGER"),
        ("amount", "NUMERIC"),
        ("customer_id", "INTEGER"),
    ]
    (output,) = done.outputs
    assert (output.namespace, output.name) == (f"sqlite://{dst}", "order_facts")
    assert [f.name for f in output.facets["schema"].fields] == ["order_id", "total", "customer"]
    assert output.outputFacets["outputStatistics"].rowCount == 2
    assert _fields(output.facets, "columnLineage") == {
        "order_id": [("orders", "id", "IDENTITY")],
        "total": [("orders", "amount", "TRANSFORMATION")],
        "customer": [("customers", "name", "TRANSFORMATION")],
    }


def test_file_load_and_export_lineage(sqlite_db: Callable[..., Path], tmp_path: Path) -> None:
    from airflow_ai_etl.operators import FileToSqlOperator, SqlToFileOperator

    db = sqlite_db("db", SOURCE + "CREATE TABLE copies (id INTEGER, amount NUMERIC);")
    exported = tmp_path / "orders.csv"
    export = SqlToFileOperator(
        task_id="export",
        source_conn_id="db",
        path=str(exported),
        format="csv",
        sql="SELECT id, amount FROM orders",
    )
    export.execute({})  # type: ignore[arg-type]
    done = export.get_openlineage_facets_on_complete(None)
    assert [(d.namespace, d.name) for d in done.inputs] == [(f"sqlite://{db}", "orders")]
    (file_out,) = done.outputs
    assert (file_out.namespace, file_out.name) == ("file", str(exported))
    assert _fields(file_out.facets, "columnLineage") == {
        "id": [("orders", "id", "IDENTITY")],
        "amount": [("orders", "amount", "IDENTITY")],
    }

    load = FileToSqlOperator(
        task_id="load",
        path=str(tmp_path) + "/*.csv",
        format="csv",
        target_conn_id="db",
        target_table="copies",
    )
    assert [d.name for d in load.get_openlineage_facets_on_start().inputs] == [f"{tmp_path}/*.csv"]
    named = FileToSqlOperator(
        task_id="named",
        path=str(tmp_path) + "/*.csv",
        format="csv",
        target_conn_id="db",
        target_table="copies",
        columns=["id"],
    )
    (before,) = named.get_openlineage_facets_on_start().outputs
    assert _fields(before.facets, "columnLineage") == {"id": [(f"{tmp_path}/*.csv", "id", "IDENTITY")]}
    load.execute({})  # type: ignore[arg-type]
    loaded = load.get_openlineage_facets_on_complete(None)
    assert [(d.namespace, d.name) for d in loaded.inputs] == [("file", str(exported))]
    (table,) = loaded.outputs
    assert (table.name, table.outputFacets["outputStatistics"].rowCount) == ("copies", 2)
    assert _fields(table.facets, "columnLineage") == {
        "id": [(str(exported), "id", "IDENTITY")],
        "amount": [(str(exported), "amount", "IDENTITY")],
    }


def test_kafka_and_spark_lineage_before_running(
    sqlite_db: Callable[..., Path], airflow_conn: Callable[..., None]
) -> None:
    import json

    from airflow_ai_etl.operators.kafka import KafkaToSqlOperator
    from airflow_ai_etl.operators.spark import SparkSqlTransformOperator

    db = sqlite_db("dst", TARGET)
    airflow_conn(
        "events", conn_type="kafka", extra=json.dumps({"bootstrap.servers": "broker1:9092,broker2:9092"})
    )
    ingest = KafkaToSqlOperator(
        task_id="ingest",
        kafka_conn_id="events",
        topic="orders",
        target_conn_id="dst",
        target_table="order_facts",
        columns=["order_id", "total"],
    )
    started = ingest.get_openlineage_facets_on_start()
    (topic,) = started.inputs
    assert (topic.namespace, topic.name) == ("kafka://broker1:9092", "orders")
    assert [f.name for f in topic.facets["schema"].fields] == ["order_id", "total"]
    (table,) = started.outputs
    assert (table.namespace, table.name) == (f"sqlite://{db}", "order_facts")
    assert _fields(table.facets, "columnLineage") == {
        "order_id": [("orders", "order_id", "IDENTITY")],
        "total": [("orders", "total", "IDENTITY")],
    }

    airflow_conn(
        "spark",
        conn_type="spark",
        host="local[1]",
        extra=json.dumps({"conf": {"spark.sql.warehouse.dir": "/wh"}}),
    )
    spark = SparkSqlTransformOperator(
        task_id="daily",
        conn_id="spark",
        sql="SELECT o.day, sum(o.amount) AS revenue FROM sales.orders o GROUP BY o.day",
        target_table="sales.daily",
    )
    lineage = spark.get_openlineage_facets_on_start()
    assert [(d.namespace, d.name) for d in lineage.inputs] == [("file", "/wh/sales.db/orders")]
    (daily,) = lineage.outputs
    assert (daily.namespace, daily.name) == ("file", "/wh/sales.db/daily")
    assert _fields(daily.facets, "columnLineage") == {
        "day": [("/wh/sales.db/orders", "day", "IDENTITY")],
        "revenue": [("/wh/sales.db/orders", "amount", "TRANSFORMATION")],
    }


def test_sql_step_lineage_on_sqlite_which_common_sql_gives_none(sqlite_db: Callable[..., Path]) -> None:
    from airflow_ai_etl.operators.sql_statement import SqlStatementOperator

    from .conftest import rows

    db = sqlite_db("db", SOURCE + TARGET)
    insert = SqlStatementOperator(
        task_id="facts",
        conn_id="db",
        sql="INSERT INTO order_facts " + SQL.replace(" AS order_id", "").replace(" AS total", ""),
    )
    insert.execute({})  # type: ignore[arg-type]
    assert rows(db, "SELECT order_id, customer FROM order_facts ORDER BY order_id") == [
        (1, "ADA"),
        (2, "ADA"),
    ]
    done = insert.get_openlineage_facets_on_complete(None)
    assert [(d.namespace, d.name) for d in done.inputs] == [
        (f"sqlite://{db}", "orders"),
        (f"sqlite://{db}", "customers"),
    ]
    (output,) = done.outputs
    assert (output.namespace, output.name) == (f"sqlite://{db}", "order_facts")
    # No column list: the target's columns (read from the database at completion), by position.
    assert _fields(output.facets, "columnLineage") == {
        "order_id": [("orders", "id", "IDENTITY")],
        "total": [("orders", "amount", "TRANSFORMATION")],
        "customer": [("customers", "name", "TRANSFORMATION")],
    }
    assert done.job_facets["sql"].query == insert.sql

    create = SqlStatementOperator(
        task_id="big",
        conn_id="db",
        sql="CREATE TABLE big_orders AS SELECT id, amount FROM orders WHERE amount > 10",
    )
    started = create.get_openlineage_facets_on_start()
    (table,) = started.outputs
    assert table.name == "big_orders"
    assert _fields(table.facets, "columnLineage") == {
        "id": [("orders", "id", "IDENTITY")],
        "amount": [("orders", "amount", "IDENTITY")],
    }


def test_lineage_reads_structure_and_samples_no_data(sqlite_db: Callable[..., Path]) -> None:
    """Completing a task's lineage reads the tables' columns, not their values (no value summaries)."""
    from airflow_ai_etl.operators._lineage import sql_side

    sqlite_db(
        "desk",
        "CREATE TABLE tickets (id INTEGER PRIMARY KEY, state TEXT);"
        "INSERT INTO tickets VALUES (1, 'open'), (2, 'closed');",
    )
    catalog = sql_side("desk", "conn_id", complete=True).read_catalog(["tickets"])

    assert catalog is not None
    (table,) = catalog.tables
    assert [(c.name, c.values) for c in table.columns] == [("id", None), ("state", None)]
