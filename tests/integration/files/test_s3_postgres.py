"""The file operators between a real S3 API (moto server on 127.0.0.1) and real PostgreSQL databases:
formats, globs, modes, reruns, bad input that names the key or line, atomic exports, and a load
killed in the middle of its transaction."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import psycopg2
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from airflow_ai_etl.operators.files import FileToSqlOperator, RowLoadError, SqlToFileOperator
from tests.support.s3 import Bucket

pytestmark = pytest.mark.integration

TABLE = """
CREATE TABLE orders (
    id         integer PRIMARY KEY,
    status     text NOT NULL,
    amount     numeric(10, 2) NOT NULL,
    paid       boolean,
    placed_on  date,
    updated_at timestamptz,
    attrs      jsonb
);
"""
ALL = "SELECT id, status, amount, paid, placed_on, updated_at, attrs FROM orders ORDER BY id"
COLUMNS = ("id", "status", "amount", "paid", "placed_on", "updated_at", "attrs")
T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def run(uri: str, sql: str, params: tuple[Any, ...] | None = None) -> list[tuple[Any, ...]]:
    conn = psycopg2.connect(uri)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def order(i: int) -> tuple[Any, ...]:
    return (
        i,
        ("paid", "open", "shipped")[i % 3],
        Decimal(i * 7 % 500) + Decimal("0.25"),
        None if i % 5 == 0 else i % 2 == 0,
        dt.date(2026, 1, 1) + dt.timedelta(days=i % 30),
        T0 + dt.timedelta(minutes=i),
        {"i": i, "tags": ["a", "b"]} if i % 4 else None,
    )


def csv_lines(rows: list[tuple[Any, ...]], header: bool = True) -> str:
    def field(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, dict):
            return '"' + json.dumps(v).replace('"', '""') + '"'
        return v.isoformat() if isinstance(v, dt.date) else str(v)

    lines = [",".join(COLUMNS)] if header else []
    lines += [",".join(field(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def load(**kwargs: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "task_id": "load",
        "format": "csv",
        "storage_conn_id": "lake",
        "target_conn_id": "dst",
        "target_table": "orders",
        "batch_size": 50,
    }
    result: dict[str, Any] = FileToSqlOperator(**(settings | kwargs)).execute({})  # type: ignore[arg-type]
    return result


def export(**kwargs: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "task_id": "export",
        "source_conn_id": "dst",
        "storage_conn_id": "lake",
        "sql": ALL,
        "batch_size": 40,
    }
    result: dict[str, Any] = SqlToFileOperator(**(settings | kwargs)).execute({})  # type: ignore[arg-type]
    return result


@pytest.fixture
def dst(pg_database: Callable[[], str], airflow_conn: Callable[..., None]) -> str:
    uri = pg_database()
    run(uri, TABLE)
    airflow_conn("dst", uri)
    return uri


ROWS = [order(i) for i in range(1, 201)]


def test_csv_objects_under_a_glob_load_in_one_go_and_upsert_reruns_are_idempotent(
    dst: str, bucket: Bucket
) -> None:
    bucket.put("orders/2026-03-01.csv", csv_lines(ROWS[:120]))
    bucket.put("orders/2026-03-02.csv.gz", gzip.compress(csv_lines(ROWS[120:]).encode()))
    bucket.put("orders/readme.txt", "not a csv")
    bucket.put("orders/nested/2026-03-03.csv", "id\n999\n")  # not in this prefix level
    result = load(path=bucket.url("orders/2026-*.csv*"), mode="upsert", key=["id"])
    assert result["rows"] == 200
    assert result["files"] == [bucket.url("orders/2026-03-01.csv"), bucket.url("orders/2026-03-02.csv.gz")]
    assert run(dst, ALL) == ROWS
    for _ in range(2):  # a rerun of the same files changes nothing
        load(path=bucket.url("orders/2026-*.csv*"), mode="upsert", key=["id"])
        assert run(dst, "SELECT count(*), count(DISTINCT id) FROM orders") == [(200, 200)]
    assert run(dst, ALL) == ROWS


def test_parquet_and_jsonl_objects_keep_their_types(dst: str, bucket: Bucket) -> None:
    table = pa.table(
        {
            "id": pa.array([r[0] for r in ROWS], pa.int32()),
            "status": [r[1] for r in ROWS],
            "amount": pa.array([r[2] for r in ROWS], pa.decimal128(10, 2)),
            "paid": [r[3] for r in ROWS],
            "placed_on": pa.array([r[4] for r in ROWS], pa.date32()),
            "updated_at": pa.array([r[5] for r in ROWS], pa.timestamp("us", tz="UTC")),
            "attrs": [json.dumps(r[6]) if r[6] else None for r in ROWS],
        }
    )
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=64)
    bucket.put("p/orders.parquet", sink.getvalue())
    load(path=bucket.url("p/orders.parquet"), format="parquet", mode="replace")
    assert run(dst, ALL) == ROWS

    def record(row: tuple[Any, ...]) -> str:
        values = dict(zip(COLUMNS, row, strict=True))
        values |= {"amount": str(row[2]), "placed_on": row[4].isoformat(), "updated_at": row[5].isoformat()}
        return json.dumps(values)

    bucket.put("j/orders.jsonl", "\n".join(record(r) for r in ROWS[:50]))
    load(path=bucket.url("j/"), format="jsonl", mode="replace")
    assert run(dst, ALL) == ROWS[:50]


def test_missing_objects_name_the_key(dst: str, bucket: Bucket) -> None:
    with pytest.raises(FileNotFoundError, match=rf"S3 object s3://{bucket.name}/none/x\.csv does not exist"):
        load(path=bucket.url("none/x.csv"))
    with pytest.raises(FileNotFoundError, match=rf"no objects match s3://{bucket.name}/none/\*\.csv"):
        load(path=bucket.url("none/*.csv"))


def test_a_value_the_column_cannot_hold_names_object_and_line_and_changes_nothing(
    dst: str, bucket: Bucket
) -> None:
    run(dst, "INSERT INTO orders (id, status, amount) VALUES (1000, 'before', 1)")
    text = csv_lines(ROWS[:80]).replace("\n57,", "\n57x,", 1)  # the row of id 57 is on line 58
    bucket.put("bad/orders.csv", text)
    with pytest.raises(
        RowLoadError, match=r"bad/orders\.csv: line 58: orders refused the row \(invalid input"
    ):
        load(path=bucket.url("bad/orders.csv"), mode="replace")
    assert run(dst, "SELECT id, status FROM orders") == [(1000, "before")]
    bucket.put("bad/orders.csv", csv_lines(ROWS[:80]))  # fixed: the rerun succeeds
    load(path=bucket.url("bad/orders.csv"), mode="replace")
    assert run(dst, ALL) == ROWS[:80]


@pytest.mark.parametrize("format", ["csv", "jsonl", "parquet"])
def test_export_to_s3_and_load_back_round_trips_every_type(dst: str, bucket: Bucket, format: str) -> None:
    bucket.put("seed.csv", csv_lines(ROWS))
    load(path=bucket.url("seed.csv"))
    key = f"out/orders.{format}"
    assert export(path=bucket.url(key), format=format)["rows"] == 200
    assert bucket.keys() == ["out/" + f"orders.{format}", "seed.csv"]
    run(dst, "DELETE FROM orders")
    load(path=bucket.url(key), format=format)
    assert run(dst, ALL) == ROWS
    if format == "parquet":
        schema = pq.read_schema(io.BytesIO(bucket.get(key)))
        assert [str(schema.field(c).type) for c in COLUMNS] == [
            "int32",
            "string",
            "decimal128(10, 2)",
            "bool",
            "date32[day]",
            "timestamp[us, tz=UTC]",
            "string",
        ]


def test_a_failed_export_leaves_the_old_object(dst: str, bucket: Bucket) -> None:
    bucket.put("out/orders.csv", "old\n")
    with pytest.raises(Exception, match="does not exist"):
        export(path=bucket.url("out/orders.csv"), format="csv", sql="SELECT nope FROM orders")
    assert bucket.get("out/orders.csv") == b"old\n"
    assert bucket.keys() == ["out/orders.csv"]
    with pytest.raises(ValueError, match="an export writes one file"):
        export(path=bucket.url("out/"), format="csv")


CHILD = """
import sys

from airflow_ai_etl.operators.files import FileToSqlOperator

FileToSqlOperator(
    task_id="load", path=sys.argv[1], format="csv", storage_conn_id="lake", target_conn_id="dst",
    target_table="orders", mode="replace", batch_size=500,
).execute({})
"""


def test_a_load_killed_mid_transaction_leaves_the_table_and_a_rerun_loads_exactly(
    dst: str, bucket: Bucket
) -> None:
    rows = [order(i) for i in range(1, 12_001)]
    for part in range(4):
        bucket.put(f"big/part-{part}.csv", csv_lines(rows[part * 3000 : (part + 1) * 3000]))
    run(dst, "INSERT INTO orders (id, status, amount) VALUES (-1, 'before', 1)")
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CHILD), bucket.url("big/part-*.csv")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=os.environ.copy(),
    )
    assert child.stdout is not None
    deadline = time.monotonic() + 120
    seen = []
    for line in child.stdout:  # the child logs each file it has written into the open transaction
        seen.append(line)
        if "Read 3000 rows from" in line and "part-0.csv" in line:
            os.kill(child.pid, signal.SIGKILL)
            break
        assert time.monotonic() < deadline, "".join(seen[-20:])
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL, "".join(seen[-20:])
    assert run(dst, "SELECT id, status FROM orders") == [(-1, "before")]  # the DELETE was rolled back too

    assert load(path=bucket.url("big/part-*.csv"), mode="replace", batch_size=500)["rows"] == 12_000
    assert run(dst, "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM orders") == [
        (12_000, 12_000, 1, 12_000)
    ]
    assert run(dst, ALL) == rows


def test_copy_path_keeps_tabs_backslashes_newlines_and_empty_strings(dst: str, tmp_path: Any) -> None:
    run(dst, "CREATE TABLE notes (id integer PRIMARY KEY, body text, raw bytea)")
    path = tmp_path / "notes.csv"
    path.write_text('id,body\n1,"tab\there, back\\\\slash\nnew line"\n2,""\n3,NULL\n4,\\N\n')
    load(path=str(path), target_table="notes", storage_conn_id=None, csv_null="NULL")  # append: COPY
    assert run(dst, "SELECT id, body FROM notes ORDER BY id") == [
        (1, "tab\there, back\\\\slash\nnew line"),
        (2, ""),
        (3, None),
        (4, "\\N"),
    ]
    parquet = tmp_path / "raw.parquet"
    pq.write_table(pa.table({"id": [5], "raw": pa.array([b"\x00\x01\\"], pa.binary())}), parquet)
    load(path=str(parquet), format="parquet", target_table="notes", storage_conn_id=None)
    assert [bytes(v) for (v,) in run(dst, "SELECT raw FROM notes WHERE id = 5")] == [b"\x00\x01\\"]


EXPORT_CHILD = """
import sys

from airflow_ai_etl.operators.files import SqlToFileOperator

SqlToFileOperator(
    task_id="export", source_conn_id="dst", sql="SELECT * FROM big ORDER BY id", path=sys.argv[1],
    format="csv", batch_size=500,
).execute({})
"""


def test_an_export_killed_mid_write_leaves_the_old_file_and_a_rerun_writes_it_whole(
    dst: str, tmp_path: Any
) -> None:
    run(dst, "CREATE TABLE big AS SELECT g AS id, md5(g::text) AS body FROM generate_series(1, 100000) AS g")
    path = tmp_path / "out" / "big.csv"
    path.parent.mkdir()
    path.write_text("old\n")
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(EXPORT_CHILD), str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while True:  # kill it once its temporary file holds some rows
        partial = [p for p in path.parent.iterdir() if p.name != "big.csv"]
        if partial and partial[0].stat().st_size > 50_000:
            os.kill(child.pid, signal.SIGKILL)
            break
        assert child.poll() is None and time.monotonic() < deadline, "the export ended before it was killed"
        time.sleep(0.02)
    child.wait(timeout=30)
    assert path.read_text() == "old\n"

    assert (
        export(path=str(path), format="csv", sql="SELECT * FROM big ORDER BY id", storage_conn_id=None)[
            "rows"
        ]
        == 100_000
    )
    lines = path.read_text().splitlines()
    assert (len(lines), lines[0], lines[-1].split(",")[0]) == (100_001, "id,body", "100000")


def test_staged_upsert_lets_the_last_row_of_a_repeated_key_win(dst: str, tmp_path: Any) -> None:
    run(dst, "INSERT INTO orders (id, status, amount) VALUES (1, 'before', 1), (9, 'kept', 9)")
    path = tmp_path / "orders.csv"
    path.write_text("id,status,amount\n1,first,1\n2,a,2\n1,second,1\n3,b,3\n1,third,1\n")
    for _ in range(2):
        load(path=str(path), mode="upsert", key=["id"], batch_size=2, storage_conn_id=None)
        assert run(dst, "SELECT id, status FROM orders ORDER BY id") == [
            (1, "third"),
            (2, "a"),
            (3, "b"),
            (9, "kept"),
        ]
    path.write_text("id,status,amount\n4,ok,4\n5,,5\n")  # status is NOT NULL: line 3 is refused
    with pytest.raises(RowLoadError, match=r"orders\.csv: line 3: orders refused the row \(null value"):
        load(path=str(path), mode="upsert", key=["id"], storage_conn_id=None)
    assert run(dst, "SELECT count(*) FROM orders") == [(4,)]
