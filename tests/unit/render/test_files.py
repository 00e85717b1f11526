"""file_load and file_export steps render to FileToSqlOperator and SqlToFileOperator with every
option the spec gives (and nothing it leaves at its default), deterministically."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_ai_etl.render import render_dag
from airflow_ai_etl.spec import parse_spec

SPEC: dict[str, Any] = {
    "dag_id": "files_pipeline",
    "start_date": "2026-01-01",
    "steps": [
        {
            "id": "load_orders",
            "kind": "file_load",
            "path": "s3://lake/orders/2026-*.csv.gz",
            "format": "csv",
            "storage_conn_id": "lake",
            "target": {"conn_id": "dwh", "table": "public.orders"},
            "mode": "upsert",
            "key": ["id"],
            "columns": ["id", "status"],
            "csv": {"delimiter": "\t", "header": False, "null": "\\N"},
            "compression": "gzip",
            "batch_size": 500,
        },
        {
            "id": "export_orders",
            "kind": "file_export",
            "source": {"conn_id": "dwh", "sql": "SELECT id, status\n  FROM public.orders"},
            "path": "/exports/orders.parquet",
            "format": "parquet",
            "compression": "zstd",
            "depends_on": ["load_orders"],
        },
        {
            "id": "export_table",
            "kind": "file_export",
            "source": {"conn_id": "dwh", "table": "public.orders"},
            "path": "/exports/orders.jsonl",
            "format": "jsonl",
            "depends_on": ["load_orders"],
        },
    ],
}


def test_file_steps_render_to_our_operators(load_dags: Callable[[str], dict[str, Any]]) -> None:
    source = render_dag(parse_spec(SPEC))
    assert render_dag(parse_spec(SPEC)) == source
    assert "from airflow_ai_etl.operators.files import FileToSqlOperator, SqlToFileOperator" in source
    dag = load_dags(source)["files_pipeline"]
    load = dag.get_task("load_orders")
    assert type(load).__name__ == "FileToSqlOperator"
    assert (load.path, load.format, load.storage_conn_id) == ("s3://lake/orders/2026-*.csv.gz", "csv", "lake")
    assert (load.target_conn_id, load.target_table, load.mode, load.key) == (
        "dwh",
        "public.orders",
        "upsert",
        ["id"],
    )
    assert (load.columns, load.csv_delimiter, load.csv_header, load.csv_null) == (
        ["id", "status"],
        "\t",
        False,
        "\\N",
    )
    assert (load.compression, load.batch_size) == ("gzip", 500)
    assert "Loads csv from `s3://lake/orders/2026-*.csv.gz`" in load.doc_md
    export = dag.get_task("export_orders")
    assert type(export).__name__ == "SqlToFileOperator"
    assert (export.sql, export.source_table) == ("SELECT id, status\n  FROM public.orders", None)
    assert (export.path, export.format, export.compression, export.storage_conn_id) == (
        "/exports/orders.parquet",
        "parquet",
        "zstd",
        None,
    )
    table = dag.get_task("export_table")
    assert (table.sql, table.source_table, table.compression, table.csv_header) == (
        None,
        "public.orders",
        "auto",
        True,
    )
    assert dag.get_task("export_table").upstream_task_ids == {"load_orders"}


def test_defaults_are_left_out() -> None:
    data = {
        **SPEC,
        "steps": [
            {
                "id": "load",
                "kind": "file_load",
                "path": "/data/x.csv",
                "format": "csv",
                "csv": {"delimiter": ","},
                "target": {"conn_id": "dwh", "table": "t"},
            }
        ],
    }
    source = render_dag(parse_spec(data))
    for absent in ("csv_", "compression", "storage_conn_id", "key=", "columns="):
        assert absent not in source
