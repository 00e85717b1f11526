"""TransferOperator between SQLite files: every mode, reruns, atomic failure, configuration errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_ai_etl.operators import TransferOperator
from airflow_ai_etl.operators.transfer import TransferError

Query = Callable[[Path, str], list[tuple[Any, ...]]]

SOURCE = """
CREATE TABLE orders (id INTEGER PRIMARY KEY, amount INTEGER, updated_at TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25)
INSERT INTO orders SELECT i, i * 10, '2026-01-01 00:00:' || printf('%02d', i) FROM n;
"""
TARGET = (
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, amount INTEGER CHECK (amount < 100000), updated_at TEXT);"
)
TARGET_NO_KEY = "CREATE TABLE orders (id INTEGER, amount INTEGER, updated_at TEXT);"


def transfer(context: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "task_id": "copy",
        "source_conn_id": "src",
        "target_conn_id": "dst",
        "target_table": "orders",
        "batch_size": 10,
    }
    if "source_table" not in kwargs:
        settings["source_sql"] = "SELECT id, amount, updated_at FROM orders"
    operator = TransferOperator(**(settings | kwargs))
    result: dict[str, Any] = operator.execute(context or {})  # type: ignore[arg-type]
    return result


@pytest.fixture
def dbs(sqlite_db: Callable[..., Path]) -> tuple[Path, Path]:
    return sqlite_db("src", SOURCE), sqlite_db("dst", TARGET)


def test_append_copies_all_rows_in_batches(dbs: tuple[Path, Path], query: Query) -> None:
    src, dst = dbs
    assert transfer(mode="append") == {
        "rows": 25,
        "mode": "append",
        "target_table": "orders",
        "path": "dbapi-executemany",
    }
    assert query(dst, "SELECT * FROM orders ORDER BY id") == query(src, "SELECT * FROM orders ORDER BY id")


def test_replace_swaps_the_whole_table_and_reruns_give_the_same(dbs: tuple[Path, Path], query: Query) -> None:
    src, dst = dbs
    query(dst, "SELECT 1")  # target exists
    _execute(dst, "INSERT INTO orders VALUES (999, 1, 'old')")
    transfer(source_table="orders", mode="replace")
    transfer(source_table="orders", mode="replace")
    assert query(dst, "SELECT * FROM orders ORDER BY id") == query(src, "SELECT * FROM orders ORDER BY id")


def test_upsert_updates_and_inserts_without_duplicates(dbs: tuple[Path, Path], query: Query) -> None:
    src, dst = dbs
    _execute(dst, "INSERT INTO orders VALUES (1, -1, 'stale'), (500, 5, 'target only')")
    assert transfer(mode="upsert", key=["id"])["rows"] == 25
    transfer(mode="upsert", key=["id"])
    got = query(dst, "SELECT * FROM orders ORDER BY id")
    assert got == [*query(src, "SELECT * FROM orders ORDER BY id"), (500, 5, "target only")]


def test_incremental_without_key_copies_only_newer_rows(sqlite_db: Callable[..., Path], query: Query) -> None:
    src = sqlite_db("src", SOURCE)
    dst = sqlite_db("dst", TARGET_NO_KEY)
    assert transfer(mode="incremental", watermark="updated_at")["rows"] == 25
    assert transfer(mode="incremental", watermark="updated_at")["rows"] == 0
    _execute(
        src, "INSERT INTO orders VALUES (26, 260, '2026-01-01 00:00:26'), (27, 270, '2026-01-01 00:00:27')"
    )
    assert transfer(mode="incremental", watermark="updated_at")["rows"] == 2
    assert query(dst, "SELECT COUNT(*), COUNT(DISTINCT id) FROM orders") == [(27, 27)]


def test_incremental_with_key_keeps_rows_sharing_the_high_watermark(
    dbs: tuple[Path, Path], query: Query
) -> None:
    src, dst = dbs
    transfer(mode="incremental", key=["id"], watermark="updated_at")
    # a late row with the same timestamp as the newest copied one, and an update of that row
    _execute(src, "INSERT INTO orders VALUES (26, 260, '2026-01-01 00:00:25')")
    _execute(src, "UPDATE orders SET amount = 251 WHERE id = 25")
    transfer(mode="incremental", key=["id"], watermark="updated_at")
    transfer(mode="incremental", key=["id"], watermark="updated_at")
    assert query(dst, "SELECT * FROM orders ORDER BY id") == query(src, "SELECT * FROM orders ORDER BY id")


def test_incremental_reads_a_query_with_a_trailing_semicolon_and_comment(
    dbs: tuple[Path, Path], query: Query
) -> None:
    _, dst = dbs
    sql = "SELECT id, amount, updated_at FROM orders WHERE amount > 100 -- only the big ones\n;"
    assert transfer(source_sql=sql, mode="incremental", key=["id"], watermark="updated_at")["rows"] == 15
    assert query(dst, "SELECT MIN(id), COUNT(*) FROM orders") == [(11, 15)]


@pytest.mark.parametrize("mode", ["append", "replace", "upsert"])
def test_a_failure_mid_load_leaves_the_target_as_it_was(
    dbs: tuple[Path, Path], query: Query, mode: str
) -> None:
    src, dst = dbs
    # append: rows the source does not have; otherwise also one it updates or deletes first
    existing = (
        "(600, 6, 'kept'), (700, 7, 'kept')" if mode == "append" else "(1, 1, 'kept'), (700, 7, 'kept')"
    )
    _execute(dst, f"INSERT INTO orders VALUES {existing}")
    before = query(dst, "SELECT * FROM orders ORDER BY id")
    _execute(src, "UPDATE orders SET amount = 100000 WHERE id = 23")  # the CHECK refuses it, batch 3
    key = ["id"] if mode == "upsert" else []
    with pytest.raises(Exception, match="CHECK constraint failed"):
        transfer(mode=mode, key=key)
    assert query(dst, "SELECT * FROM orders ORDER BY id") == before


def test_source_and_target_in_the_same_file(sqlite_db: Callable[..., Path], query: Query) -> None:
    path = sqlite_db("src", SOURCE + "CREATE TABLE copy (id INTEGER, amount INTEGER, updated_at TEXT);")
    sqlite_db("dst", path=path)
    assert transfer(target_table="copy", mode="replace")["rows"] == 25
    assert query(path, "SELECT COUNT(*) FROM copy") == [(25,)]


def test_identifiers_are_quoted(sqlite_db: Callable[..., Path], query: Query) -> None:
    create = 'CREATE TABLE "order" ("select" INTEGER PRIMARY KEY, "from" TEXT);'
    sqlite_db("src", create + "INSERT INTO \"order\" VALUES (1, 'x');")
    dst = sqlite_db("dst", create)
    transfer(source_table="order", target_table="order", mode="upsert", key=["select"])
    transfer(source_table="order", target_table="order", mode="upsert", key=["select"])
    assert query(dst, 'SELECT * FROM "order"') == [(1, "x")]


def test_values_travel_as_parameters(dbs: tuple[Path, Path], query: Query) -> None:
    src, dst = dbs
    _execute(src, "UPDATE orders SET updated_at = 'x''); DROP TABLE orders; --' WHERE id = 1")
    transfer(mode="append")
    assert query(dst, "SELECT updated_at FROM orders WHERE id = 1") == [("x'); DROP TABLE orders; --",)]


def test_key_or_watermark_missing_from_the_source_is_named(dbs: tuple[Path, Path]) -> None:
    with pytest.raises(ValueError, match=r"copy: column\(s\) order_id .*'key'.* id, amount, updated_at"):
        transfer(mode="upsert", key=["order_id"])
    with pytest.raises(ValueError, match=r"column\(s\) changed_at"):
        transfer(mode="incremental", watermark="changed_at")


def test_a_connection_without_a_sql_hook_is_named(
    dbs: tuple[Path, Path], airflow_conn: Callable[..., None]
) -> None:
    airflow_conn("mail", conn_type="smtp", host="127.0.0.1")
    with pytest.raises(ValueError, match="target_conn_id: connection 'mail' has no SQL"):
        transfer(target_conn_id="mail")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "merge"}, "unknown mode 'merge'"),
        ({"mode": "upsert"}, "mode 'upsert' needs 'key'"),
        ({"mode": "incremental"}, "mode 'incremental' needs 'watermark'"),
        ({"mode": "append", "watermark": "updated_at"}, "'watermark' is only used with mode 'incremental'"),
        ({"mode": "upsert", "key": "id"}, "'key' must be a list"),
        ({"mode": "upsert", "key": ["id", "id"]}, "'key' lists a column twice"),
        ({"batch_size": 0}, "'batch_size' must be at least 1"),
        ({"source_table": "orders"}, "exactly one of 'source_sql' or 'source_table'"),
        ({"source_sql": None}, "exactly one of 'source_sql' or 'source_table'"),
        ({"state_key": "x"}, "'state_key' is only used with mode 'incremental'"),
        ({"create_target": "yes"}, "'create_target' must be true or false"),
    ],
)
def test_bad_configuration_is_refused_at_construction(kwargs: dict[str, Any], message: str) -> None:
    settings: dict[str, Any] = {
        "task_id": "copy",
        "source_conn_id": "src",
        "target_conn_id": "dst",
        "target_table": "orders",
        "source_sql": "SELECT 1",
    }
    with pytest.raises(ValueError, match=f"copy: .*{message}"):
        TransferOperator(**(settings | kwargs))


def test_sql_and_tables_are_templated_but_never_read_as_files() -> None:
    op = TransferOperator(
        task_id="copy",
        source_conn_id="src",
        target_conn_id="dst",
        target_table="t_{{ params.n }}",
        source_sql="SELECT 1 AS {{ params.n }}_x FROM x.sql",
        params={"n": "a"},
    )
    op.render_template_fields({"params": {"n": "a"}})  # type: ignore[arg-type]
    assert (op.source_sql, op.target_table) == ("SELECT 1 AS a_x FROM x.sql", "t_a")


INCREMENTAL = {"mode": "incremental", "watermark": "updated_at"}
MORE = "INSERT INTO orders VALUES (26, 260, '2026-01-01 00:00:26'), (27, 270, '2026-01-01 00:00:27')"


def test_incremental_stores_its_watermark_beside_the_target(
    sqlite_db: Callable[..., Path], query: Query
) -> None:
    sqlite_db("src", SOURCE)
    dst = sqlite_db("dst", TARGET_NO_KEY)
    assert transfer(**INCREMENTAL, state_key="orders_sync")["watermark"] == "2026-01-01 00:00:25"
    assert query(dst, "SELECT transfer_id, run_id, watermark FROM ai_etl_transfer_state") == [
        ("orders_sync", "", '{"str": "2026-01-01 00:00:25"}')
    ]


def test_incremental_rerun_of_a_run_replaces_its_interval(
    sqlite_db: Callable[..., Path], query: Query
) -> None:
    src = sqlite_db("src", SOURCE)
    dst = sqlite_db("dst", TARGET_NO_KEY)
    assert transfer({"run_id": "r1"}, **INCREMENTAL)["rows"] == 25
    _execute(src, MORE)
    assert transfer({"run_id": "r2"}, **INCREMENTAL)["rows"] == 2
    assert transfer({"run_id": "r2"}, **INCREMENTAL)["rows"] == 2  # cleared and run again
    assert transfer({"run_id": "r1"}, **INCREMENTAL)["rows"] == 27  # r1 started from an empty target
    assert transfer({"run_id": "r3"}, **INCREMENTAL)["rows"] == 0
    assert query(dst, "SELECT COUNT(*), COUNT(DISTINCT id) FROM orders") == [(27, 27)]
    assert query(dst, "SELECT * FROM orders ORDER BY id") == query(src, "SELECT * FROM orders ORDER BY id")


def test_a_failed_incremental_attempt_keeps_the_watermark_and_the_rerun_loads_once(
    dbs: tuple[Path, Path], query: Query
) -> None:
    src, dst = dbs
    transfer(**INCREMENTAL)
    _execute(src, MORE.replace("270", "100000"))  # row 27 breaks the target's CHECK
    with pytest.raises(Exception, match=r"source rows 1-2 .* CHECK constraint failed"):
        transfer(**INCREMENTAL)
    assert query(dst, "SELECT COUNT(*) FROM orders") == [(25,)]
    assert query(dst, "SELECT watermark FROM ai_etl_transfer_state") == [('{"str": "2026-01-01 00:00:25"}',)]
    _execute(src, "UPDATE orders SET amount = 270 WHERE id = 27")
    assert transfer(**INCREMENTAL)["rows"] == 2
    assert query(dst, "SELECT * FROM orders ORDER BY id") == query(src, "SELECT * FROM orders ORDER BY id")


def test_a_failing_source_query_is_named_and_a_fixed_rerun_succeeds(
    dbs: tuple[Path, Path], query: Query
) -> None:
    _, dst = dbs
    _execute(dst, "INSERT INTO orders VALUES (700, 7, 'kept')")
    with pytest.raises(TransferError, match="copy: the source query failed: no such column: amout"):
        transfer(source_sql="SELECT id, amout, updated_at FROM orders", mode="replace")
    assert query(dst, "SELECT id FROM orders") == [(700,)]
    assert transfer(mode="replace")["rows"] == 25


def test_create_target_from_the_source_types(sqlite_db: Callable[..., Path], query: Query) -> None:
    sqlite_db("src", SOURCE)
    dst = sqlite_db("dst")
    for _ in range(2):
        transfer(source_table="orders", target_table="copy", mode="upsert", key=["id"], create_target=True)
    assert query(dst, "SELECT COUNT(*), COUNT(DISTINCT id) FROM copy") == [(25, 25)]
    assert query(dst, "SELECT name, type, pk FROM pragma_table_info('copy')") == [
        ("id", "INTEGER", 1),
        ("amount", "INTEGER", 0),
        ("updated_at", "TEXT", 0),
    ]


def test_create_target_refuses_a_column_without_a_type(sqlite_db: Callable[..., Path]) -> None:
    sqlite_db("src", SOURCE)
    sqlite_db("dst")
    with pytest.raises(ValueError, match="column 'doubled': SQLite declares no type"):
        transfer(
            source_sql="SELECT id, amount * 2 AS doubled FROM orders", target_table="x", create_target=True
        )


def test_connections_and_the_state_key_are_templated() -> None:
    op = TransferOperator(
        task_id="copy",
        source_conn_id="src_{{ params.env }}",
        target_conn_id="dwh_{{ params.env }}",
        target_table="orders",
        source_table="orders",
        mode="incremental",
        watermark="updated_at",
        state_key="orders_{{ params.env }}",
    )
    op.render_template_fields({"params": {"env": "prod"}})  # type: ignore[arg-type]
    assert (op.source_conn_id, op.target_conn_id, op.state_key) == ("src_prod", "dwh_prod", "orders_prod")


def _execute(path: Path, sql: str) -> None:
    import sqlite3

    conn = sqlite3.connect(path)
    with conn:
        conn.execute(sql)
    conn.close()
