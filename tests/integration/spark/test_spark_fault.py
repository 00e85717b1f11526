"""A worker killed in the middle of a Spark write, then the task rerun: the target holds exactly the
expected rows, and while the write was cut off it held what it held before (nothing, or the old rows).

The worker (the operator in its own process, with spark-submit, the JVM and the Python driver under
it) is killed with SIGKILL as soon as Spark has started writing the rows: when the staging table's
`_temporary` directory appears.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest

from airflow_ai_etl.operators.spark import SparkSqlTransformOperator
from tests.integration.spark.conftest import CONN_ID
from tests.support.spark import LocalSpark

pytestmark = pytest.mark.integration

ROWS = 1_000_000
TABLE = "facts"

_WORKER = """
import sys
from airflow_ai_etl.operators.spark import SparkSqlTransformOperator
conn_id, sql, table = sys.argv[1:]
SparkSqlTransformOperator(task_id="load_facts", conn_id=conn_id, sql=sql, target_table=table).execute({})
"""


def _query(version: str) -> str:
    return f"SELECT id, CONCAT('{version} ', CAST(id AS STRING)) AS label FROM range(0, {ROWS})"


def _kill_while_writing(spark: LocalSpark, sql: str) -> None:
    """Run the task in a worker process and SIGKILL its whole process group once rows are being written."""
    writing = spark.table_dir(TABLE + "__ai_etl_staging") / "_temporary"
    worker = subprocess.Popen(
        [sys.executable, "-c", _WORKER, CONN_ID, sql, TABLE],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        while not writing.exists():
            assert worker.poll() is None, f"the worker ended (exit {worker.returncode}) before it was killed"
            assert time.monotonic() < deadline, "Spark never started writing"
            time.sleep(0.05)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL


def _summary(spark: LocalSpark) -> tuple[int, int, int, int, set[str]]:
    """count, distinct ids, min id, max id, and the label prefixes of the table's rows."""
    table = ds.dataset(str(spark.table_dir(TABLE)), format="parquet").to_table()
    ids = table.column("id")
    prefixes = set(pc.unique(pc.utf8_slice_codeunits(table.column("label"), 0, 2)).to_pylist())
    return len(table), len(pc.unique(ids)), pc.min(ids).as_py(), pc.max(ids).as_py(), prefixes


def _leftovers(spark: LocalSpark) -> list[str]:
    return sorted(p.name for p in spark.warehouse.iterdir() if p.name.startswith(f"{TABLE}__"))


@pytest.mark.timeout(900)  # four Spark jobs, two of them killed; slow on a loaded 2-core machine
def test_a_killed_write_leaves_the_target_as_it_was_and_the_rerun_writes_exactly_the_rows(
    local_spark: LocalSpark,
) -> None:
    complete = (ROWS, ROWS, 0, ROWS - 1)

    # Killed while creating the table: there is no table, and the rerun creates it whole.
    _kill_while_writing(local_spark, _query("v1"))
    assert not Path(local_spark.table_dir(TABLE)).exists()
    SparkSqlTransformOperator(
        task_id="load_facts", conn_id=CONN_ID, sql=_query("v1"), target_table=TABLE
    ).execute({})  # type: ignore[arg-type]
    assert _summary(local_spark) == (*complete, {"v1"})
    assert _leftovers(local_spark) == []

    # Killed while overwriting it: the old rows are all still there, none of the new ones.
    _kill_while_writing(local_spark, _query("v2"))
    assert _summary(local_spark) == (*complete, {"v1"})
    result = SparkSqlTransformOperator(
        task_id="load_facts", conn_id=CONN_ID, sql=_query("v2"), target_table=TABLE
    ).execute({})  # type: ignore[arg-type]
    assert (result["rows"], result["created"]) == (ROWS, False)
    assert _summary(local_spark) == (*complete, {"v2"})
    assert _leftovers(local_spark) == []
