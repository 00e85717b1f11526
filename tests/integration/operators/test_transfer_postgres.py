"""TransferOperator and RowCountChangeOperator against real PostgreSQL databases."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from airflow.sdk import DAG
from airflow.sdk.exceptions import AirflowException

from airflow_ai_etl.operators import RowCountChangeOperator, TransferOperator
from airflow_ai_etl.operators.transfer import TransferError
from tests.support.pg import run, source_and_target

pytestmark = pytest.mark.integration

SOURCE = """
CREATE SCHEMA shop;
CREATE TABLE shop.orders (id integer PRIMARY KEY, code text, "order" numeric(10, 2), updated_at timestamptz);
INSERT INTO shop.orders
SELECT i, 'c' || i, i * 1.5, timestamptz '2026-01-01 00:00:00+00' + i * interval '1 minute'
FROM generate_series(1, 1000) AS i;
"""
TARGET = """
CREATE SCHEMA analytics;
CREATE TABLE analytics.orders (
    id integer PRIMARY KEY, code varchar(5), "order" numeric(10, 2), updated_at timestamptz
);
"""


@pytest.fixture
def dbs(pg_database: Callable[[], str], airflow_conn: Callable[..., None]) -> tuple[str, str]:
    return source_and_target(pg_database, airflow_conn, SOURCE, TARGET)


def transfer(context: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "task_id": "copy",
        "source_conn_id": "src",
        "target_conn_id": "dst",
        "target_table": "analytics.orders",
        "batch_size": 300,
    }
    if "source_table" not in kwargs:
        settings["source_sql"] = 'SELECT id, code, "order", updated_at FROM shop.orders'
    operator = TransferOperator(**(settings | kwargs))
    result: dict[str, Any] = operator.execute(context or {})  # type: ignore[arg-type]
    return result


ALL = 'SELECT id, code, "order", updated_at FROM {} ORDER BY id'


def test_append_and_replace(dbs: tuple[str, str]) -> None:
    src, dst = dbs
    assert transfer(source_table="shop.orders")["rows"] == 1000
    assert run(dst, ALL.format("analytics.orders")) == run(src, ALL.format("shop.orders"))
    run(dst, "UPDATE analytics.orders SET code = 'x'")
    assert transfer(mode="replace")["rows"] == 1000
    assert transfer(mode="replace")["rows"] == 1000
    assert run(dst, ALL.format("analytics.orders")) == run(src, ALL.format("shop.orders"))


def test_upsert_reruns_leave_no_duplicates(dbs: tuple[str, str]) -> None:
    src, dst = dbs
    run(dst, "INSERT INTO analytics.orders VALUES (1, 'old', 0, now()), (5000, 'mine', 1, now())")
    transfer(mode="upsert", key=["id"])
    transfer(mode="upsert", key=["id"])
    assert run(dst, "SELECT COUNT(*), COUNT(DISTINCT id) FROM analytics.orders") == [(1001, 1001)]
    assert run(dst, ALL.format("analytics.orders"))[:1000] == run(src, ALL.format("shop.orders"))


@pytest.mark.parametrize("key", [[], ["id"]])
def test_incremental_copies_new_rows_once(dbs: tuple[str, str], key: list[str]) -> None:
    src, dst = dbs
    # a literal % in the source SQL must survive the driver's parameter formatting
    sql = "SELECT id, code, \"order\", updated_at FROM shop.orders WHERE code LIKE 'c%'"
    settings = {"source_sql": sql, "mode": "incremental", "watermark": "updated_at", "key": key}
    assert transfer(**settings)["rows"] == 1000
    run(
        src,
        "INSERT INTO shop.orders VALUES (1001, 'c1001', 1, timestamptz '2026-01-02 00:00:00+00'),"
        " (1002, 'c1002', 2, timestamptz '2026-01-02 00:00:00+00')",
    )
    copied = transfer(**settings)["rows"]
    assert copied == 2 if not key else copied == 3  # with a key, rows at the old maximum are re-read
    transfer(**settings)
    assert run(dst, "SELECT COUNT(*), COUNT(DISTINCT id) FROM analytics.orders") == [(1002, 1002)]
    if key:  # rows sharing the maximum timestamp arriving late are not lost
        run(src, "INSERT INTO shop.orders VALUES (1003, 'c1003', 3, timestamptz '2026-01-02 00:00:00+00')")
        transfer(**settings)
        assert run(dst, "SELECT COUNT(*) FROM analytics.orders") == [(1003,)]


@pytest.mark.parametrize("mode", ["append", "replace", "upsert"])
def test_a_value_the_target_cannot_hold_rolls_everything_back(dbs: tuple[str, str], mode: str) -> None:
    src, dst = dbs
    run(dst, "INSERT INTO analytics.orders VALUES (5000, 'kept', 1, now())")
    before = run(dst, ALL.format("analytics.orders"))
    run(src, "UPDATE shop.orders SET code = 'much too long' WHERE id = 900")  # varchar(5), batch 3 of 4
    with pytest.raises(Exception, match="value too long for type character varying"):
        transfer(mode=mode, key=["id"] if mode == "upsert" else [])
    assert run(dst, ALL.format("analytics.orders")) == before


def test_a_source_query_failing_leaves_the_target_unchanged(dbs: tuple[str, str]) -> None:
    _, dst = dbs
    run(dst, "INSERT INTO analytics.orders VALUES (5000, 'kept', 1, now())")
    with pytest.raises(Exception, match="division by zero"):
        transfer(
            source_sql='SELECT id, code, "order" / (id - 700) AS "order", updated_at FROM shop.orders',
            mode="replace",
        )
    assert run(dst, "SELECT id FROM analytics.orders") == [(5000,)]


def test_postgres_to_sqlite(dbs: tuple[str, str], airflow_conn: Callable[..., None], tmp_path: Any) -> None:
    import sqlite3

    path = tmp_path / "dwh.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, code TEXT, amount TEXT, updated_at TEXT)")
    conn.close()
    airflow_conn("lite", conn_type="sqlite", host=str(path))
    sql = 'SELECT id, code, "order"::text AS amount, updated_at::text AS updated_at FROM shop.orders'
    settings = {"source_sql": sql, "target_conn_id": "lite", "target_table": "orders"}
    transfer(**settings, mode="incremental", key=["id"], watermark="updated_at")
    transfer(**settings, mode="incremental", key=["id"], watermark="updated_at")
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT COUNT(*), MAX(id) FROM orders").fetchall() == [(1000, 1000)]
    conn.close()


def test_matching_types_copy_in_binary_and_differing_ones_in_text(dbs: tuple[str, str]) -> None:
    _, dst = dbs
    run(
        dst,
        'CREATE TABLE analytics.same (id integer PRIMARY KEY, code text, "order" numeric(10, 2), '
        "updated_at timestamptz)",
    )
    assert transfer(target_table="analytics.same")["path"] == "postgres-copy-binary"
    # analytics.orders has varchar(5) for text: still binary-compatible; bigint for integer is not
    run(
        dst, 'CREATE TABLE analytics.wide (id bigint, code varchar(20), "order" float8, updated_at timestamp)'
    )
    assert transfer(target_table="analytics.wide")["path"] == "postgres-copy-text"
    assert run(dst, 'SELECT COUNT(*), SUM(id), SUM("order") FROM analytics.wide') == [
        (1000, 500500, 750750.0)
    ]


def test_a_copy_error_names_the_row_and_column_and_a_fixed_rerun_succeeds(dbs: tuple[str, str]) -> None:
    src, dst = dbs
    run(src, "UPDATE shop.orders SET code = 'much too long' WHERE id = 900")
    sql = 'SELECT id, code, "order", updated_at FROM shop.orders ORDER BY id'
    with pytest.raises(
        TransferError,
        match=r"failed: value too long for type character varying\(5\) \(COPY orders, line 900, column code",
    ):
        transfer(source_sql=sql)
    assert run(dst, "SELECT COUNT(*) FROM analytics.orders") == [(0,)]
    run(src, "UPDATE shop.orders SET code = 'c900' WHERE id = 900")
    assert transfer(source_sql=sql)["rows"] == 1000


def test_create_target_from_postgres_types(dbs: tuple[str, str]) -> None:
    src, dst = dbs
    for _ in range(2):
        result = transfer(target_table="analytics.made", mode="upsert", key=["id"], create_target=True)
    assert result["path"] == "postgres-copy-binary"
    assert run(
        dst,
        "SELECT column_name, data_type, numeric_precision, numeric_scale FROM information_schema.columns "
        "WHERE table_name = 'made' ORDER BY ordinal_position",
    ) == [
        ("id", "integer", 32, 0),
        ("code", "text", None, None),
        ("order", "numeric", 10, 2),
        ("updated_at", "timestamp with time zone", None, None),
    ]
    assert run(dst, ALL.format("analytics.made")) == run(src, ALL.format("shop.orders"))


def test_a_missing_target_is_named(dbs: tuple[str, str]) -> None:
    with pytest.raises(TransferError, match=r"target table analytics.nope does not exist .*create_target"):
        transfer(target_table="analytics.nope")


def test_incremental_rerun_of_a_run_reloads_its_interval(dbs: tuple[str, str]) -> None:
    src, dst = dbs
    settings = {"mode": "incremental", "watermark": "updated_at", "state_key": "orders"}
    assert transfer(**settings, context={"run_id": "r1"})["rows"] == 1000
    run(src, "INSERT INTO shop.orders VALUES (1001, 'c1001', 1, timestamptz '2026-01-02 00:00:00+00')")
    assert transfer(**settings, context={"run_id": "r2"})["rows"] == 1
    assert transfer(**settings, context={"run_id": "r2"})["rows"] == 1
    assert transfer(**settings, context={"run_id": "r1"})["rows"] == 1001
    assert run(dst, "SELECT COUNT(*), COUNT(DISTINCT id) FROM analytics.orders") == [(1001, 1001)]
    assert run(dst, "SELECT run_id FROM analytics.ai_etl_transfer_state ORDER BY run_id") == [
        ("",),
        ("r1",),
        ("r2",),
    ]


class MemoryHistory:
    def __init__(self) -> None:
        self.data: dict[str, list[dict[str, Any]]] = {}

    def load(self, key: str) -> list[dict[str, Any]]:
        return json.loads(json.dumps(self.data.get(key, [])))

    def save(self, key: str, entries: list[dict[str, Any]]) -> None:
        self.data[key] = entries


def test_row_count_change_on_postgres(dbs: tuple[str, str]) -> None:
    src, _ = dbs
    history = MemoryHistory()
    with DAG("nightly", schedule=None):
        op = RowCountChangeOperator(
            task_id="c", conn_id="src", table="shop.orders", max_drop_pct=10, history=history
        )
    assert op.execute({"run_id": "r1"})["count"] == 1000  # type: ignore[arg-type]
    run(src, "DELETE FROM shop.orders WHERE id > 800")
    with pytest.raises(
        AirflowException, match=r"shop.orders .* dropped by 20.0%.*1000 rows after run r1, 800 now"
    ):
        op.execute({"run_id": "r2"})  # type: ignore[arg-type]
