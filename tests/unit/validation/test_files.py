"""file_load and file_export steps in validate_spec: paths, options, storage connections, target
tables and columns, the export's read-only source query, and table order against other steps."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_ai_etl.catalog.connections import ConnectionInfo
from airflow_ai_etl.spec import PipelineSpec
from airflow_ai_etl.validation import ValidationContext, validate_spec
from airflow_ai_etl.validation.files import suffix_format

MakeSpec = Any


@pytest.fixture
def lake_context(context: ValidationContext) -> ValidationContext:
    connections = {
        **context.connections,
        "lake": ConnectionInfo("lake", "aws", ""),
        "not_aws": ConnectionInfo("not_aws", "http", ""),
    }
    return ValidationContext(connections=connections, catalogs=context.catalogs)


def file_load(**fields: Any) -> dict[str, Any]:
    return {
        "id": "load_file",
        "kind": "file_load",
        "path": "s3://lake-bucket/orders/*.csv",
        "format": "csv",
        "storage_conn_id": "lake",
        "target": {"conn_id": "dwh_pg", "table": "analytics.orders"},
        **fields,
    }


def file_export(**fields: Any) -> dict[str, Any]:
    return {
        "id": "export_file",
        "kind": "file_export",
        "source": {"conn_id": "shop_pg", "sql": "SELECT id, amount FROM public.orders"},
        "path": "/exports/orders.parquet",
        "format": "parquet",
        **fields,
    }


def where(spec: PipelineSpec, context: ValidationContext) -> list[tuple[str, str | None, str | None]]:
    return [(f.code, f.step_id, f.field) for f in validate_spec(spec, context).findings]


def test_valid_file_steps_have_no_findings(make_spec: MakeSpec, lake_context: ValidationContext) -> None:
    load = file_load(mode="upsert", key=["id"], columns=["id", "amount", "status"])
    export = file_export(path="s3://lake-bucket/out/orders.parquet", storage_conn_id="lake")
    assert validate_spec(make_spec(load, export), lake_context).findings == []


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("data/orders.csv", "must be absolute"),
        ("s3://Bad_Bucket/x.csv", "not a valid S3 bucket name"),
        ("s3://bucket", "give an object key"),
        ("gs://bucket/x.csv", "only local paths and s3:// URLs"),
        ("/data/*/x.csv", "only appear in the last part"),
        ("/data/../etc/x.csv", "'..' is not allowed"),
    ],
)
def test_bad_paths_are_refused(
    make_spec: MakeSpec, lake_context: ValidationContext, path: str, message: str
) -> None:
    report = validate_spec(make_spec(file_load(path=path, storage_conn_id=None)), lake_context)
    assert [(f.code, f.field) for f in report.findings] == [("file.path_invalid", "path")]
    assert message in report.findings[0].message


def test_an_export_writes_one_file(make_spec: MakeSpec, lake_context: ValidationContext) -> None:
    spec = make_spec(file_export(path="/exports/"), file_export(id="glob", path="/exports/*.parquet"))
    assert where(spec, lake_context) == [
        ("file.path_invalid", "export_file", "path"),
        ("file.path_invalid", "glob", "path"),
    ]


def test_suffix_and_storage_connection(make_spec: MakeSpec, lake_context: ValidationContext) -> None:
    spec = make_spec(
        file_load(path="s3://lake-bucket/orders.parquet.gz", format="jsonl"),
        file_load(id="local", path="/data/orders.csv", storage_conn_id="lake"),
        file_load(id="http", storage_conn_id="not_aws"),
        file_load(id="nowhere", storage_conn_id="missing_aws"),
    )
    assert where(spec, lake_context) == [
        ("spec.unknown_connection", "nowhere", "storage_conn_id"),
        ("file.format_mismatch", "load_file", "format"),
        ("file.storage_conn_invalid", "local", "storage_conn_id"),
        ("file.storage_conn_invalid", "http", "storage_conn_id"),
    ]
    assert [suffix_format(n) for n in ("a.CSV.gz", "b.ndjson", "c.pq", "d", "e.txt")] == [
        "csv",
        "jsonl",
        "parquet",
        None,
        None,
    ]


def test_target_table_columns_and_key_are_checked(
    make_spec: MakeSpec, lake_context: ValidationContext
) -> None:
    spec = make_spec(
        file_load(target={"conn_id": "dwh_pg", "table": "analytics.nope"}),
        file_load(id="cols", columns=["id", "amount", "colour"], mode="upsert", key=["id"]),
        file_load(id="keys", mode="upsert", key=["order_no"]),
        file_load(
            id="strict", target={"conn_id": "dwh_pg", "table": "analytics.strict_orders"}, columns=["id"]
        ),
    )
    assert where(spec, lake_context) == [
        ("sql.unknown_table", "load_file", "target.table"),
        ("sql.unknown_column", "cols", "columns"),
        ("transfer.key_missing", "keys", "key"),
        ("transfer.target_column_required", "strict", "columns"),
    ]


def test_export_source_is_a_read_only_query_on_known_tables(
    make_spec: MakeSpec, lake_context: ValidationContext
) -> None:
    spec = make_spec(
        file_export(source={"conn_id": "shop_pg", "sql": "DELETE FROM public.orders"}),
        file_export(id="missing", source={"conn_id": "shop_pg", "sql": "SELECT x FROM public.nope"}),
        file_export(id="table", source={"conn_id": "shop_pg", "table": "public.nope"}),
    )
    codes = where(spec, lake_context)
    assert ("sql.statement_not_allowed", "export_file", "source.sql") in codes
    assert ("sql.unknown_table", "missing", "source.sql") in codes
    assert ("sql.unknown_table", "table", "source.table") in codes


def test_a_load_counts_as_a_write_for_table_order(
    make_spec: MakeSpec, lake_context: ValidationContext
) -> None:
    load = file_load(target={"conn_id": "shop_pg", "table": "public.orders"})
    export = file_export(depends_on=[])
    report = validate_spec(make_spec(load, export), lake_context)
    assert "graph.missing_dependency" in report.codes()
    ordered = validate_spec(make_spec(load, file_export(depends_on=["load_file"])), lake_context)
    assert ordered.findings == []


def test_storage_connections_are_not_schema_connections(
    make_spec: MakeSpec, lake_context: ValidationContext
) -> None:
    """A storage connection has no tables: no schema.unknown warning for it."""
    spec = make_spec(file_load())
    assert "schema.unknown" not in validate_spec(spec, lake_context).codes()


def test_context_from_airflow_describes_but_never_introspects_storage_connections(
    tmp_path: Any, airflow_conn: Any, make_spec: MakeSpec
) -> None:
    import sqlite3

    from airflow_ai_etl.validation import context_from_airflow

    with sqlite3.connect(tmp_path / "dwh.db") as db:
        db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, amount REAL)")
    airflow_conn("lite_dwh", f"sqlite://{tmp_path / 'dwh.db'}")
    airflow_conn("lake", conn_type="aws", extra='{"endpoint_url": "http://127.0.0.1:1"}')
    step = file_load(target={"conn_id": "lite_dwh", "table": "orders"}, columns=["id", "amount"])
    spec = make_spec(step)
    context = context_from_airflow(spec)
    assert set(context.connections) == {"lite_dwh", "lake"}
    assert context.connections["lake"].conn_type == "aws"
    assert set(context.catalogs) == {"lite_dwh"}  # nothing was asked of the S3 endpoint
    assert validate_spec(spec, context).findings == []
