"""FileToSqlOperator and SqlToFileOperator on local files and SQLite: formats, modes, reruns, atomic
failure (the target and the exported file stay as they were), and errors that name file and line."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from airflow_ai_etl.operators.files import FileToSqlOperator, RowLoadError, SqlToFileOperator

Query = Callable[[Path, str], list[tuple[Any, ...]]]

TARGET = """
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL,
    amount INTEGER CHECK (amount < 100000),
    note TEXT
);
"""
ALL = "SELECT id, status, amount, note FROM orders ORDER BY id"


def load(**kwargs: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "task_id": "load",
        "format": "csv",
        "target_conn_id": "dst",
        "target_table": "orders",
        "batch_size": 4,
    }
    result: dict[str, Any] = FileToSqlOperator(**(settings | kwargs)).execute({})  # type: ignore[arg-type]
    return result


def export(**kwargs: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {"task_id": "export", "source_conn_id": "dst", "batch_size": 3}
    if "source_table" not in kwargs:
        settings["sql"] = ALL
    result: dict[str, Any] = SqlToFileOperator(**(settings | kwargs)).execute({})  # type: ignore[arg-type]
    return result


def csv_text(rows: list[tuple[Any, ...]], header: str = "id,status,amount,note") -> str:
    lines = [header] if header else []
    lines += [",".join("" if v is None else str(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


ROWS = [(i, "paid" if i % 2 else "open", i * 10, None if i % 3 == 0 else f"n{i}") for i in range(1, 11)]


@pytest.fixture
def dst(sqlite_db: Callable[..., Path]) -> Path:
    return sqlite_db("dst", TARGET)


def test_csv_append_loads_every_row_with_nulls(dst: Path, query: Query, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(csv_text(ROWS))
    result = load(path=str(path))
    assert result == {"rows": 10, "files": [str(path)], "mode": "append", "target_table": "orders"}
    assert query(dst, ALL) == ROWS


def test_glob_and_prefix_load_all_matches_in_order_and_replace_is_idempotent(
    dst: Path, query: Query, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "b.csv").write_text(csv_text(ROWS[5:]))
    (folder / "a.csv").write_text(
        "note;amount;status;id\n" + "".join(f"{r[3] or ''};{r[2]};{r[1]};{r[0]}\n" for r in ROWS[:5])
    )
    (folder / "skip.txt").write_text("not csv")
    # b.csv has ',' while ';' is asked for: its header is one column the table does not have
    with pytest.raises(RowLoadError, match=r"b\.csv: line 2: .*no column named id,status,amount,note"):
        load(path=f"{folder}/*.csv", csv_delimiter=";")
    (folder / "b.csv").write_text(csv_text(ROWS[5:]).replace(",", ";"))
    _insert(dst, "INSERT INTO orders VALUES (99, 'old', 1, NULL)")
    for _ in range(2):
        result = load(path=f"{folder}/*.csv", csv_delimiter=";", mode="replace")
        assert result["files"] == [str(folder / "a.csv"), str(folder / "b.csv")]
        assert query(dst, ALL) == ROWS
    (folder / "skip.txt").unlink()
    assert load(path=f"{folder}/", csv_delimiter=";", mode="replace")["rows"] == 10
    assert query(dst, ALL) == ROWS


def test_upsert_updates_by_key_and_reruns_add_nothing(dst: Path, query: Query, tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    path.write_text(
        "".join(
            json.dumps(dict(zip(("id", "status", "amount", "note"), r, strict=True))) + "\n" for r in ROWS
        )
    )
    load(path=str(path), format="jsonl", mode="upsert", key=["id"])
    changed = [(2, "refunded", 5, "x"), (11, "new", 110, None)]
    path.write_text(
        "\n".join(json.dumps({"id": i, "status": s, "amount": a, "note": n}) for i, s, a, n in changed)
    )
    for _ in range(2):
        load(path=str(path), format="jsonl", mode="upsert", key=["id"])
        assert query(dst, ALL) == [ROWS[0], changed[0], *ROWS[2:], changed[1]]


def test_jsonl_nested_values_become_json_text_and_columns_pick_fields(
    dst: Path, query: Query, tmp_path: Path
) -> None:
    path = tmp_path / "orders.jsonl.gz"
    records = [{"id": 1, "status": "a", "note": {"k": [1, 2]}, "extra": 1}, {"id": 2, "status": "b"}]
    path.write_bytes(gzip.compress("\n".join(json.dumps(r) for r in records).encode()))
    load(path=str(path), format="jsonl", columns=["id", "status", "note"])
    assert query(dst, ALL) == [(1, "a", None, '{"k": [1, 2]}'), (2, "b", None, None)]


def test_parquet_load_keeps_types(dst: Path, query: Query, tmp_path: Path) -> None:
    path = tmp_path / "orders.parquet"
    table = pa.table(
        {
            "id": pa.array([r[0] for r in ROWS], pa.int64()),
            "status": [r[1] for r in ROWS],
            "amount": pa.array([r[2] for r in ROWS], pa.int32()),
            "note": [r[3] for r in ROWS],
        }
    )
    pq.write_table(table, path, row_group_size=3)
    assert load(path=str(path), format="parquet")["rows"] == 10
    assert query(dst, ALL) == ROWS


def test_headerless_csv_takes_columns_in_order(dst: Path, query: Query, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text('1\t"a ""quoted""\tvalue"\t10\tNULL\n')
    load(
        path=str(path),
        csv_header=False,
        csv_delimiter="\t",
        csv_null="NULL",
        columns=["id", "status", "amount", "note"],
    )
    assert query(dst, ALL) == [(1, 'a "quoted"\tvalue', 10, None)]


def test_a_refused_value_names_file_and_line_and_leaves_the_table_as_it_was(
    dst: Path, query: Query, tmp_path: Path
) -> None:
    _insert(dst, "INSERT INTO orders VALUES (99, 'old', 1, NULL)")
    path = tmp_path / "orders.csv"
    bad = [*ROWS[:6], (7, "x", 100000, None), *ROWS[7:]]  # the CHECK refuses amount 100000 on line 8
    path.write_text(csv_text(bad))
    with pytest.raises(RowLoadError, match=rf"{path}: line 8: orders refused the row .*CHECK") as error:
        load(path=str(path), mode="replace")
    assert "amount='100000'" in str(error.value)
    assert query(dst, ALL) == [(99, "old", 1, None)]
    path.write_text(csv_text(ROWS))  # the cause is fixed: the rerun succeeds
    load(path=str(path), mode="replace")
    assert query(dst, ALL) == ROWS


@pytest.mark.parametrize(
    ("name", "content", "format", "message"),
    [
        (
            "short.csv",
            "id,status,amount,note\n1,a,1,\n2,b\n",
            "csv",
            "short.csv: line 3: expected 4 fields, found 2",
        ),
        ("quote.csv", 'id,status,amount,note\n1,"a"x,1,\n', "csv", "quote.csv: line 2: malformed CSV"),
        (
            "bad.jsonl",
            '{"id": 1, "status": "a"}\n\n{"id": 2,\n',
            "jsonl",
            "bad.jsonl: line 3: not valid JSON",
        ),
        (
            "list.jsonl",
            '{"id": 1, "status": "a"}\n[1]\n',
            "jsonl",
            "list.jsonl: line 2: expected a JSON object",
        ),
        (
            "keys.jsonl",
            '{"id": 1, "status": "a"}\n{"id": 2, "oops": 1}\n',
            "jsonl",
            "keys.jsonl: line 2: key",
        ),
        ("nohead.csv", "id,status\n1,a\n", "csv", "the header has no column amount"),
        ("latin.csv", "id,status,amount,note\n1,caf\xe9,1,\n", "csv", "latin.csv: line 2: not UTF-8"),
        ("bad.parquet", "not parquet", "parquet", "bad.parquet: not a readable Parquet file"),
    ],
)
def test_malformed_files_name_file_and_line_and_load_nothing(  # noqa: PLR0917
    dst: Path, query: Query, tmp_path: Path, name: str, content: str, format: str, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content.encode("latin-1"))
    columns = ["id", "status", "amount"] if name == "nohead.csv" else None
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        load(path=str(path), format=format, columns=columns)
    assert query(dst, ALL) == []


def test_missing_files_name_the_path(dst: Path, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=f"file {tmp_path}/nope.csv does not exist"):
        load(path=str(tmp_path / "nope.csv"))
    with pytest.raises(FileNotFoundError, match=f"no files match {tmp_path}/\\*.parquet"):
        load(path=f"{tmp_path}/*.parquet", format="parquet")
    with pytest.raises(ValueError, match=r"'path' 'data/x\.csv': a local path must be absolute"):
        load(path="data/x.csv")


@pytest.mark.parametrize("format", ["csv", "jsonl", "parquet"])
def test_export_then_load_round_trips(dst: Path, query: Query, tmp_path: Path, format: str) -> None:
    _insert(dst, *(f"INSERT INTO orders VALUES ({r[0]}, '{r[1]}', {r[2]}, {_sql(r[3])})" for r in ROWS))
    path = tmp_path / "out" / f"orders.{format}"
    assert export(path=str(path), format=format) == {"rows": 10, "path": str(path), "format": format}
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    _insert(dst, "DELETE FROM orders")
    load(path=str(path), format=format)
    assert query(dst, ALL) == ROWS


def test_export_compression_and_csv_layout(dst: Path, tmp_path: Path) -> None:
    _insert(dst, "INSERT INTO orders VALUES (1, 'a;b', 5, NULL)")
    path = tmp_path / "orders.csv.gz"
    export(
        source_table="orders",
        path=str(path),
        format="csv",
        compression="gzip",
        csv_delimiter=";",
        csv_null="\\N",
    )
    assert gzip.decompress(path.read_bytes()).decode() == 'id;status;amount;note\n1;"a;b";5;\\N\n'
    parquet = tmp_path / "orders.parquet"
    export(path=str(parquet), format="parquet", compression="zstd")
    assert pq.ParquetFile(parquet).metadata.row_group(0).column(0).compression == "ZSTD"


def test_a_failed_export_leaves_the_old_file_and_no_partial_one(dst: Path, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("old contents\n")
    before = os.listdir(tmp_path)
    with pytest.raises(Exception, match="no such column"):
        export(path=str(path), format="csv", sql="SELECT nope FROM orders")
    # a failure in the middle of writing: text where the first batch fixed an integer column
    _insert(dst, *(f"INSERT INTO orders VALUES ({i}, 's', {i}, NULL)" for i in range(1, 6)))
    mixed = "SELECT id, CASE WHEN id = 5 THEN 'text' ELSE amount END AS amount FROM orders ORDER BY id"
    with pytest.raises(ValueError, match=r"row 5, column amount: 'text'.*was not written"):
        export(path=str(tmp_path / "orders.parquet"), format="parquet", sql=mixed)
    assert path.read_text() == "old contents\n"
    assert os.listdir(tmp_path) == before


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"format": "xml"}, "'format'"),
        ({"mode": "incremental"}, "unknown mode"),
        ({"mode": "upsert"}, "needs 'key'"),
        ({"key": "id"}, "'key'"),
        ({"columns": ["id", "id"]}, "'columns' lists a column twice"),
        ({"columns": ["status"], "key": ["id"]}, "'key' column"),
        ({"csv_header": False}, "'columns' is required"),
        ({"csv_delimiter": ";;"}, "'csv_delimiter'"),
        ({"compression": "zstd", "format": "parquet"}, "'compression'"),
        ({"batch_size": 0}, "'batch_size'"),
    ],
)
def test_bad_load_arguments_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    settings = {
        "task_id": "load",
        "path": "/x.csv",
        "format": "csv",
        "target_conn_id": "d",
        "target_table": "t",
    }
    with pytest.raises(ValueError, match=field):
        FileToSqlOperator(**(settings | kwargs))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"sql": None}, "exactly one of 'sql' or 'source_table'"),
        ({"source_table": "t"}, "exactly one of 'sql' or 'source_table'"),
        ({"compression": "snappy"}, "'compression' 'snappy'"),
        ({"format": "xml"}, "'format'"),
    ],
)
def test_bad_export_arguments_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    settings = {
        "task_id": "export",
        "source_conn_id": "d",
        "path": "/x.csv",
        "format": "csv",
        "sql": "SELECT 1",
    }
    with pytest.raises(ValueError, match=field):
        SqlToFileOperator(**(settings | kwargs))


def test_export_path_must_be_one_file(dst: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="an export writes one file"):
        export(path=f"{tmp_path}/*.csv", format="csv")
    with pytest.raises(ValueError, match="'storage_conn_id' is only for s3:// paths"):
        export(path=f"{tmp_path}/x.csv", format="csv", storage_conn_id="aws")


def test_path_is_templated(dst: Path, query: Query, tmp_path: Path) -> None:
    (tmp_path / "ds=2026-03-01").mkdir()
    (tmp_path / "ds=2026-03-01" / "orders.csv").write_text(csv_text(ROWS[:2]))
    operator = FileToSqlOperator(
        task_id="load",
        path=f"{tmp_path}/ds={{{{ ds }}}}/orders.csv",
        format="csv",
        target_conn_id="dst",
        target_table="orders",
    )
    assert "path" in operator.template_fields and "path" in SqlToFileOperator.template_fields
    operator.render_template_fields({"ds": "2026-03-01"})  # type: ignore[arg-type]
    operator.execute({})  # type: ignore[arg-type]
    assert query(dst, ALL) == ROWS[:2]


def _sql(value: Any) -> str:
    return "NULL" if value is None else f"'{value}'"


def _insert(path: Path, *statements: str) -> None:
    import sqlite3

    conn = sqlite3.connect(path)
    with conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()


def test_copy_text_escapes_what_copy_would_misread() -> None:
    import datetime as dt
    from decimal import Decimal

    from airflow_ai_etl.operators.files import copy_text

    rows = [
        ("a\tb\\c\nd\re", None, 1, True, b"\x01\xff", Decimal("1.50"), dt.date(2026, 3, 1)),
        ("", "\\N", 0, False, b"", Decimal(0), None),
    ]
    assert copy_text(rows) == (
        "a\\tb\\\\c\\nd\\re\t\\N\t1\tTrue\t\\\\x01ff\t1.50\t2026-03-01\n\t\\\\N\t0\tFalse\t\\\\x\t0\t\\N\n"
    )
