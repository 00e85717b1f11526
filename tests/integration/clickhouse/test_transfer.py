"""TransferOperator into ClickHouse (chDB in-process) from real PostgreSQL and from SQLite."""

from __future__ import annotations

import concurrent.futures
import sqlite3
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from airflow_ai_etl.hooks.clickhouse import ClickHouseHook
from airflow_ai_etl.operators import TransferOperator
from airflow_ai_etl.operators.transfer import TransferError
from tests.support.pg import run as pg

pytestmark = pytest.mark.integration

ROWS = 20_000
SOURCE = f"""
CREATE TABLE orders (id integer PRIMARY KEY, code text, amount numeric(16, 2), updated_at timestamptz);
INSERT INTO orders
SELECT i, 'c' || i, i * 1.25, timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second'
FROM generate_series(1, {ROWS}) AS i;
"""
COLUMNS = "id Int32, code Nullable(String), amount Nullable(Decimal(10, 2)), updated_at DateTime64(6, 'UTC')"


def ch(sql: str) -> list[tuple[Any, ...]]:
    client = ClickHouseHook(clickhouse_conn_id="ch").get_client()
    try:
        return [tuple(r) for r in client.query(sql).result_rows]
    finally:
        client.close()


@pytest.fixture
def src(pg_database: Callable[[], str], airflow_conn: Callable[..., None], ch_database: str) -> str:
    uri = pg_database()
    pg(uri, SOURCE)
    airflow_conn("src", uri)
    return uri


def transfer(context: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "task_id": "to_ch",
        "source_conn_id": "src",
        "target_conn_id": "ch",
        "target_table": "orders",
        "source_sql": "SELECT id, code, amount, updated_at FROM orders",
    }
    operator = TransferOperator(**(settings | kwargs))
    result: dict[str, Any] = operator.execute(context or {})  # type: ignore[arg-type]
    return result


def summary(table: str = "orders", final: str = "") -> tuple[Any, ...]:
    return ch(f"SELECT count(), uniqExact(id), sum(amount), max(updated_at) FROM {table} {final}")[0]


EXPECTED = (ROWS, ROWS, Decimal(ROWS * (ROWS + 1) // 2) * Decimal("1.25"))


def test_append_through_arrow_keeps_types_and_values(src: str) -> None:
    ch(f"CREATE TABLE orders ({COLUMNS}) ENGINE = MergeTree ORDER BY id")
    result = transfer()
    assert (result["rows"], result["path"]) == (ROWS, "arrow-adbc-clickhouse")
    assert summary()[:3] == EXPECTED
    assert ch("SELECT id, code, amount, toString(updated_at) FROM orders WHERE id = 7") == [
        (7, "c7", Decimal("8.75"), "2026-01-01 00:00:07.000000")
    ]


def test_replace_swaps_the_table_and_reruns_give_the_same(src: str) -> None:
    ch(f"CREATE TABLE orders ({COLUMNS}) ENGINE = MergeTree ORDER BY id")
    ch("INSERT INTO orders VALUES (999999, 'old', 1, now())")
    transfer(mode="replace")
    transfer(mode="replace")
    assert summary()[:3] == EXPECTED
    assert ch("SELECT count() FROM orders WHERE id = 999999") == [(0,)]
    assert ch("SELECT count() FROM system.tables WHERE name LIKE '%ai_etl_stage%'") == [(0,)]


def test_two_transfers_into_one_table_at_the_same_time_both_land_whole(src: str) -> None:
    """Each attempt stages in a table of its own: one transfer's clean-up never takes the other's rows."""
    ch(f"CREATE TABLE orders ({COLUMNS}) ENGINE = MergeTree ORDER BY id")
    slow = "SELECT o.id, o.code, o.amount, o.updated_at FROM orders o CROSS JOIN (SELECT pg_sleep(3)) AS s"
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        first = pool.submit(transfer, task_id="slow", source_sql=slow)
        time.sleep(1)  # the slow one has made its staging table and waits for its source
        second = transfer(
            task_id="fast", source_sql="SELECT id + 100000 AS id, code, amount, updated_at FROM orders"
        )
        assert not first.done()
        assert first.result(timeout=120)["rows"] == second["rows"] == ROWS
    assert ch("SELECT count(), uniqExact(id) FROM orders") == [(2 * ROWS, 2 * ROWS)]
    assert ch("SELECT count() FROM system.tables WHERE name LIKE '%ai_etl_stage%'") == [(0,)]


def test_upsert_into_a_replacing_merge_tree_leaves_one_row_per_key(src: str) -> None:
    ch(f"CREATE TABLE orders ({COLUMNS}) ENGINE = ReplacingMergeTree ORDER BY id")
    ch("INSERT INTO orders VALUES (1, 'stale', 0, now()), (999999, 'mine', 1, now())")
    transfer(mode="upsert", key=["id"])
    transfer(mode="upsert", key=["id"])
    assert summary(final="FINAL")[:2] == (ROWS + 1, ROWS + 1)
    ch("OPTIMIZE TABLE orders FINAL")
    assert ch("SELECT count() FROM orders") == [(ROWS + 1,)]
    assert ch("SELECT code FROM orders WHERE id = 1") == [("c1",)]


def test_upsert_into_a_plain_merge_tree_is_refused_by_name(src: str) -> None:
    ch(f"CREATE TABLE orders ({COLUMNS}) ENGINE = MergeTree ORDER BY id")
    with pytest.raises(TransferError, match=r"ReplacingMergeTree ordered by the key \(id\); it is MergeTree"):
        transfer(mode="upsert", key=["id"])


def test_incremental_after_a_crash_before_the_watermark_was_stored_reloads_once(src: str) -> None:
    ch(f"CREATE TABLE orders ({COLUMNS}) ENGINE = MergeTree ORDER BY id")
    settings = {"mode": "incremental", "watermark": "updated_at"}
    assert transfer(**settings)["rows"] == ROWS
    new = "(30001, 'n1', 1, '2026-02-01 00:00:00+00'), (30002, 'n2', 2, '2026-02-02 00:00:00+00')"
    pg(src, f"INSERT INTO orders VALUES {new}")
    # an attempt that attached these rows and was killed before it stored the watermark
    ch(f"INSERT INTO orders VALUES {new.replace('+00', '')}")
    assert transfer(**settings)["rows"] == 2
    assert transfer(**settings)["rows"] == 0
    assert summary()[:2] == (ROWS + 2, ROWS + 2)


def test_incremental_rerun_of_a_run_replaces_its_interval(src: str) -> None:
    ch(f"CREATE TABLE orders ({COLUMNS}) ENGINE = MergeTree ORDER BY id")
    settings = {"mode": "incremental", "watermark": "updated_at"}
    assert transfer(**settings, context={"run_id": "r1"})["rows"] == ROWS
    pg(src, "INSERT INTO orders VALUES (30001, 'n1', 1, '2026-02-01 00:00:00+00')")
    assert transfer(**settings, context={"run_id": "r2"})["rows"] == 1
    assert transfer(**settings, context={"run_id": "r1"})["rows"] == ROWS + 1  # r1 started from nothing
    assert transfer(**settings, context={"run_id": "r2"})["rows"] == 1
    assert summary()[:2] == (ROWS + 1, ROWS + 1)


def test_a_value_the_column_cannot_hold_is_named_and_nothing_is_loaded(src: str) -> None:
    ch(f"CREATE TABLE orders ({COLUMNS}) ENGINE = MergeTree ORDER BY id")
    ch("INSERT INTO orders VALUES (999999, 'kept', 1, now())")
    pg(src, "UPDATE orders SET amount = 123456789012.5 WHERE id = 15000")  # Decimal(10, 2) cannot
    ordered = "SELECT id, code, amount, updated_at FROM orders ORDER BY id"
    for mode in ("append", "replace"):
        with pytest.raises(TransferError, match=r"column 'amount', source row 15000: value .*123456789012"):
            transfer(mode=mode, source_sql=ordered)
        assert ch("SELECT id FROM orders") == [(999999,)]
    pg(src, "UPDATE orders SET amount = 1 WHERE id = 15000")
    assert transfer(mode="replace")["rows"] == ROWS


def test_null_for_a_non_nullable_column_is_named(src: str) -> None:
    columns = COLUMNS.replace("Nullable(String)", "String")
    ch(f"CREATE TABLE orders ({columns}) ENGINE = MergeTree ORDER BY id")
    pg(src, "UPDATE orders SET code = NULL WHERE id = 42")
    with pytest.raises(
        TransferError, match=r"column 'code', source row 42: NULL .* String, which is not Nullable"
    ):
        transfer(source_sql="SELECT id, code, amount, updated_at FROM orders ORDER BY id")
    assert ch("SELECT count() FROM orders") == [(0,)]


def test_create_target_builds_a_replacing_table_for_upserts(src: str) -> None:
    transfer(mode="upsert", key=["id"], create_target=True, target_table="made")
    transfer(mode="upsert", key=["id"], create_target=True, target_table="made")
    assert ch("SELECT engine, trim(BOTH '()' FROM sorting_key) FROM system.tables WHERE name = 'made'") == [
        ("ReplacingMergeTree", "id")
    ]
    assert summary("made", "FINAL")[:3] == EXPECTED


def test_from_sqlite_through_dbapi_batches(
    ch_database: str, airflow_conn: Callable[..., None], tmp_path: Path
) -> None:
    path = tmp_path / "lite.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (id INTEGER, name TEXT, price REAL)")
        conn.executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, f"n{i}", i / 4) for i in range(5000)])
    conn.close()
    airflow_conn("lite", conn_type="sqlite", host=str(path))
    result = transfer(
        source_conn_id="lite", source_sql=None, source_table="t", target_table="t", create_target=True
    )
    assert (result["rows"], result["path"]) == (5000, "arrow-dbapi-clickhouse")
    assert ch("SELECT count(), sum(price), max(name) FROM t") == [
        (5000, sum(i / 4 for i in range(5000)), "n999")
    ]
