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
