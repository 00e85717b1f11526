"""file_load and file_export in the spec: strict options, literal paths, and errors naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_ai_etl.spec import SpecError, parse_spec


def spec(step: dict[str, Any]) -> dict[str, Any]:
    return {"dag_id": "d", "start_date": "2026-01-01", "steps": [step]}


LOAD = {
    "id": "load",
    "kind": "file_load",
    "path": "/data/x.csv",
    "format": "csv",
    "target": {"conn_id": "dwh", "table": "t"},
}
EXPORT = {
    "id": "export",
    "kind": "file_export",
    "source": {"conn_id": "dwh", "sql": "SELECT 1 AS one"},
    "path": "/out/x.parquet",
    "format": "parquet",
}


def problems(step: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as error:
        parse_spec(spec(step))
    return error.value.problems


def test_defaults() -> None:
    load = parse_spec(spec(LOAD)).steps[0]
    assert (load.mode.value, load.compression.value, load.csv, load.columns) == ("append", "auto", None, None)  # type: ignore[union-attr]
    export = parse_spec(spec(EXPORT)).steps[0]
    assert export.compression.value == "auto"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"path": "/data/{{ ds }}.csv"}, "path", "template marker"),
        ({"path": "/data/x\n.csv"}, "path", "control characters"),
        ({"mode": "incremental"}, "", "'incremental' is for transfers"),
        ({"mode": "upsert"}, "", "needs 'key'"),
        ({"key": ["id"], "columns": ["name"]}, "", "'key' column(s) id are not in 'columns'"),
        ({"columns": ["a", "A"]}, "", "each column once"),
        ({"csv": {"header": False}}, "", "without a header needs 'columns'"),
        ({"csv": {"delimiter": "ab"}}, "csv.delimiter", "at most 1 character"),
        ({"csv": {"delimiter": '"'}}, "csv", "cannot be a delimiter"),
        ({"format": "parquet", "csv": {}}, "", "only apply to format 'csv'"),
        ({"format": "parquet", "compression": "gzip"}, "", "names its own codec"),
        ({"compression": "snappy"}, "", "only inside Parquet"),
        ({"csv": {"quote": "'"}}, "csv.quote", "unknown field"),
    ],
)
def test_bad_load_options_name_the_field(change: dict[str, Any], field: str, message: str) -> None:
    [(path, text)] = problems({**LOAD, **change})
    assert path == "steps[0](load)" + (f".{field}" if field else "")
    assert message in text


def test_export_options() -> None:
    assert parse_spec(spec({**EXPORT, "compression": "snappy"})).steps[0].compression.value == "snappy"  # type: ignore[union-attr]
    [(path, text)] = problems({**EXPORT, "format": "csv", "compression": "snappy"})
    assert "only inside Parquet" in text
    [(path, text)] = problems({**EXPORT, "source": {"conn_id": "dwh", "sql": "SELECT '{{ ds }}'"}})
    assert path == "steps[0](export).source.sql"
