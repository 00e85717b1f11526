"""File datasets as catalog tables: inferred columns and types for CSV, JSON lines and Parquet."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from airflow_ai_etl.catalog.errors import CatalogError
from airflow_ai_etl.catalog.files import (
    FileDataset,
    datasets_from_extra,
    introspect_files,
    read_file_catalog,
    table_name,
)
from airflow_ai_etl.files.readers import CsvLayout


def types(catalog_table: object) -> dict[str, str]:
    return {c.name: c.type for c in catalog_table.columns}  # type: ignore[attr-defined]


def test_csv_types_are_inferred_from_the_first_rows(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv.gz"
    text = "id;amount;paid;day;at;note\n" + "".join(
        f"{i};{i}.5;{'true' if i % 2 else 'false'};2026-01-{i:02d};2026-01-01 10:00:{i:02d};\n"
        for i in range(1, 20)
    )
    path.write_bytes(gzip.compress(text.encode()))
    table = read_file_catalog("files", [FileDataset(str(path), "csv", csv=CsvLayout(delimiter=";"))]).tables[
        0
    ]
    assert table.name == "orders"
    assert table.kind == "file"
    assert types(table) == {
        "id": "BIGINT",
        "amount": "DOUBLE",
        "paid": "BOOLEAN",
        "day": "DATE",
        "at": "TIMESTAMP",
        "note": "TEXT",
    }
    assert table.row_count is None
    assert str(path) in (table.comment or "")


def test_jsonl_nested_values_are_json(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(
        "\n".join(json.dumps({"id": i, "kind": "k", "attrs": {"a": i}, "tags": ["x"]}) for i in range(5))
    )
    table = read_file_catalog("files", [FileDataset(str(path), "jsonl")]).tables[0]
    assert types(table) == {"id": "BIGINT", "kind": "TEXT", "attrs": "JSON", "tags": "JSON"}


def test_parquet_schema_and_row_count_come_from_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "facts"
    folder.mkdir()
    table = pa.table(
        {
            "id": pa.array([1, 2], pa.int32()),
            "amount": pa.array([1, 2], pa.decimal128(12, 2)),
            "at": pa.array([0, 1], pa.timestamp("us", tz="UTC")),
            "raw": pa.array([b"a", b"b"]),
        }
    )
    pq.write_table(table, folder / "part-0.parquet")
    single = read_file_catalog(
        "files", [FileDataset(str(folder / "part-0.parquet"), "parquet", name="facts")]
    )
    assert types(single.tables[0]) == {
        "id": "INTEGER",
        "amount": "DECIMAL(12,2)",
        "at": "TIMESTAMPTZ",
        "raw": "BLOB",
    }
    assert single.tables[0].row_count == 2
    pq.write_table(table, folder / "part-1.parquet")
    several = read_file_catalog("files", [FileDataset(f"{folder}/*.parquet", "parquet")]).tables[0]
    assert several.name == "facts"
    assert several.row_count is None and "1 more file" in (several.comment or "")


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/data/orders.csv", "orders"),
        ("s3://lake/orders/2026-*.csv", "orders"),
        ("s3://lake/orders/", "orders"),
        ("/data/2026-01-01.csv", "t_2026_01_01"),
        ("/data/my orders.v2.csv", "my_orders"),
    ],
)
def test_table_names(path: str, name: str) -> None:
    assert table_name(FileDataset(path, "csv")) == name


def test_failures_are_catalog_errors_naming_the_path(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=f"{tmp_path}/nope.csv"):
        read_file_catalog("files", [FileDataset(str(tmp_path / "nope.csv"), "csv")])
    (tmp_path / "a.csv").write_text("x\n1\n")
    with pytest.raises(CatalogError, match="share the table name"):
        read_file_catalog("files", [FileDataset(str(tmp_path / "a.csv"), "csv")] * 2)
    with pytest.raises(CatalogError, match="holds files, not tables"):
        datasets_from_extra("lake", {})
    with pytest.raises(CatalogError, match=r"ai_etl_files\[0\] needs 'path' and 'format'"):
        datasets_from_extra("lake", {"ai_etl_files": [{"path": "/x.csv"}]})
    with pytest.raises(CatalogError, match="is a local path"):
        introspect_files(
            "lake", "aws", {"ai_etl_files": [{"path": str(tmp_path / "a.csv"), "format": "csv"}]}
        )
    catalog = introspect_files(
        "local", "fs", {"ai_etl_files": [{"path": str(tmp_path / "a.csv"), "format": "csv"}]}
    )
    assert (catalog.conn_id, catalog.dialect, [t.name for t in catalog.tables]) == ("local", "duckdb", ["a"])
