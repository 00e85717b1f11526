"""Fault test: a worker process running TransferOperator is SIGKILLed in the middle of a load.

The transfer runs in its own OS process (a Python child executing the operator with the same
Airflow connections, as a task worker would). The test waits until the target server reports the
COPY well under way (pg_stat_progress_copy), kills the child with SIGKILL, then checks the target
still holds exactly what it held before, and that a rerun leaves exactly the expected rows: no
loss, no duplicates, for replace, upsert and incremental (with and without a key).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

from airflow_ai_etl.operators import TransferOperator
from airflow_ai_etl.operators.transfer.state import decode
from tests.support.pg import run, source_and_target

pytestmark = pytest.mark.integration

FIRST, TOTAL = 20_000, 60_000
SOURCE = f"""
CREATE TABLE orders (id integer PRIMARY KEY, code text, amount numeric(12, 2), updated_at timestamptz);
INSERT INTO orders SELECT i, 'c' || i, i * 0.5, timestamptz '2026-01-01 00:00:00+00' + i * interval '1 s'
FROM generate_series(1, {FIRST}) AS i;
-- rows past FIRST come slowly (30 ms every 500 rows), so a load of them can be caught half-way
CREATE FUNCTION slow_tick(i integer) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF i > {FIRST} AND i % 500 = 0 THEN PERFORM pg_sleep(0.03); END IF;
    RETURN true;
END $$;
CREATE VIEW slow_orders AS SELECT id, code, amount, updated_at FROM orders WHERE slow_tick(id);
"""
MORE = f"""
INSERT INTO orders SELECT i, 'c' || i, i * 0.5, timestamptz '2026-01-01 00:00:00+00' + i * interval '1 s'
FROM generate_series({FIRST + 1}, {TOTAL}) AS i
"""
TARGET = (
    "CREATE TABLE orders (id integer PRIMARY KEY, code text, amount numeric(12, 2), updated_at timestamptz);"
)
ALL = "SELECT id, code, amount, updated_at FROM orders ORDER BY id"

CHILD = """
import json, sys
from airflow_ai_etl.operators import TransferOperator
settings, context = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(TransferOperator(**settings).execute(context), flush=True)
"""


@pytest.fixture
def dbs(pg_database: Callable[[], str], airflow_conn: Callable[..., None]) -> tuple[str, str]:
    return source_and_target(pg_database, airflow_conn, SOURCE, TARGET)


def settings(mode: str, key: list[str]) -> dict[str, Any]:
    return {
        "task_id": "copy",
        "source_conn_id": "src",
        "target_conn_id": "dst",
        "target_table": "orders",
        "source_sql": "SELECT id, code, amount, updated_at FROM slow_orders",
        "mode": mode,
        "key": key,
        "watermark": "updated_at" if mode == "incremental" else None,
        "state_key": "fault" if mode == "incremental" else None,
    }


def copied_so_far(dst: str) -> int:
    database = dst.rsplit("/", 1)[1]
    rows = run(
        dst,
        "SELECT coalesce(max(tuples_processed), 0) FROM pg_stat_progress_copy "
        f"WHERE datname = '{database}' AND command = 'COPY FROM'",
    )
    return int(rows[0][0])


def kill_mid_load(dst: str, options: dict[str, Any], context: dict[str, Any]) -> int:
    """Start the transfer in a child process, SIGKILL it once the target COPY is past 5,000 rows."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(options), json.dumps(context)],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    try:
        while (progress := copied_so_far(dst)) < 5_000:
            assert child.poll() is None, f"the transfer ended before it could be killed: {child.stdout}"
            assert time.monotonic() < deadline, "the load never got under way"
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    return progress


def rerun(options: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = TransferOperator(**options).execute(context)  # type: ignore[arg-type]
    return result


@pytest.mark.parametrize("mode", ["append", "replace", "upsert"])
def test_killed_full_load_leaves_the_target_as_it_was_and_a_rerun_completes(
    dbs: tuple[str, str], mode: str
) -> None:
    src, dst = dbs
    run(src, MORE)
    run(dst, "INSERT INTO orders VALUES (1, 'stale', 0, now()), (999999, 'mine', 1, now())")
    before = run(dst, ALL)
    options = settings(mode, ["id"] if mode == "upsert" else [])
    if mode == "append":
        run(dst, "DELETE FROM orders WHERE id = 1")  # the source has id 1: append must not collide
        before = run(dst, ALL)
    assert kill_mid_load(dst, options, {"run_id": "r1"}) < TOTAL
    assert run(dst, ALL) == before  # not empty, not half-loaded: as before the attempt
    assert rerun(options, {"run_id": "r1"})["rows"] == TOTAL
    got = run(dst, ALL)
    expected = run(src, ALL)
    if mode == "replace":
        assert got == expected
    else:
        assert got == [*expected, next(r for r in before if r[0] == 999999)]


@pytest.mark.parametrize("key", [[], ["id"]])
def test_killed_incremental_load_does_not_advance_the_watermark(dbs: tuple[str, str], key: list[str]) -> None:
    src, dst = dbs
    options = settings("incremental", key)
    assert rerun(options, {"run_id": "r1"})["rows"] == FIRST
    run(src, MORE)
    kill_mid_load(dst, options, {"run_id": "r2"})
    assert run(dst, "SELECT COUNT(*), MAX(id) FROM orders") == [(FIRST, FIRST)]
    watermark = run(dst, "SELECT watermark FROM ai_etl_transfer_state WHERE run_id = ''")
    assert decode(watermark[0][0]) == dt.datetime(2026, 1, 1, 5, 33, 20, tzinfo=dt.UTC)  # row FIRST's
    rerun(options, {"run_id": "r2"})
    rerun(options, {"run_id": "r2"})  # a second rerun of the same run: still no duplicates
    assert run(dst, "SELECT COUNT(*), COUNT(DISTINCT id), MAX(id) FROM orders") == [(TOTAL, TOTAL, TOTAL)]
    assert run(dst, ALL) == run(src, ALL)
