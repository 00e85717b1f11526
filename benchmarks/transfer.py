"""Transfer throughput and memory: TransferOperator vs common-sql's GenericTransfer vs a psql COPY pipe.

    .venv/bin/python benchmarks/transfer.py [--rows 1000000] [--generic-rows 100000]

Creates its own source and target databases on the PostgreSQL at 127.0.0.1:5432 (user postgres,
or $AI_ETL_BENCH_PG_HOST/PORT/USER) and a chDB (in-process ClickHouse) target in a temporary
directory, fills a 5-column source table (bigint, text, numeric, timestamptz, boolean) with
--rows rows, then measures, one after the other, each in a fresh child process:

- PostgreSQL -> PostgreSQL: TransferOperator (mode append; COPY binary both ways), GenericTransfer,
  and `psql \\copy (...) TO STDOUT (FORMAT binary) | psql \\copy ... FROM STDIN (FORMAT binary)`;
- PostgreSQL -> ClickHouse: TransferOperator (Arrow batches through ADBC, insert_arrow) and
  GenericTransfer (ClickHouseHook.insert_rows); there is no psql pipe into ClickHouse.

Times are wall-clock around the transfer itself (for the operators, measured in the child after
its imports; for the pipe, around the two psql processes). Peak memory is the child's maximum
resident set size (os.wait4; for the pipe, the larger psql). GenericTransfer reads its whole
result into memory and inserts row by row, so it runs on --generic-rows rows and its rate is
scaled by rows/s, as the output says. Every run checks the target holds exactly the rows sent.

If benchmarks/kafka_ingest.py exists (it exposes `measure(messages: int) -> dict`), its figures
are printed in a separate section. The last two lines are the PostgreSQL -> PostgreSQL ratios:
`ratio_vs_psql=<TransferOperator rows/s / psql pipe rows/s>` and `ratio_vs_generic=<... / GenericTransfer>`.
Targets: >= 0.8, >= 20, peak RSS <= 300 MB.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PG_HOST = os.environ.get("AI_ETL_BENCH_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("AI_ETL_BENCH_PG_PORT", "5432"))
PG_USER = os.environ.get("AI_ETL_BENCH_PG_USER", "postgres")
SOURCE_DB, TARGET_DB = "ai_etl_bench_source", "ai_etl_bench_target"
TABLE = "bench"
COLUMNS = "id bigint PRIMARY KEY, name text, amount numeric(12, 2), created_at timestamptz, flag boolean"
CH_COLUMNS = (
    "id Int64, name Nullable(String), amount Nullable(Decimal(12, 2)), "
    "created_at Nullable(DateTime64(6, 'UTC')), flag Nullable(Bool)"
)
TARGET_RSS_MB = 300


def uri(database: str) -> str:
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


def admin(sql: str, database: str = "postgres") -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(uri(database), autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


def setup(rows: int) -> None:
    for name in (SOURCE_DB, TARGET_DB):
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin(f'CREATE DATABASE "{name}"')
    admin(f"CREATE TABLE {TABLE} ({COLUMNS})", TARGET_DB)
    admin(f"CREATE TABLE {TABLE} ({COLUMNS})", SOURCE_DB)
    admin(
        f"INSERT INTO {TABLE} SELECT i, 'customer name ' || i, (i % 100000) * 1.25, "
        "timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second', i % 2 = 0 "
        f"FROM generate_series(1, {rows}) AS i",
        SOURCE_DB,
    )
    admin(f"VACUUM ANALYZE {TABLE}", SOURCE_DB)


def teardown() -> None:
    for name in (SOURCE_DB, TARGET_DB):
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- child side: one measurement per process -------------------------------------------------


def child(case: str, rows: int, chdb_path: str) -> dict[str, Any]:
    """Run one transfer in this (fresh) process; returns its timing and the target's row count."""
    os.environ["AIRFLOW_CONN_BENCH_SRC"] = uri(SOURCE_DB)
    os.environ["AIRFLOW_CONN_BENCH_DST"] = uri(TARGET_DB)
    os.environ["AIRFLOW_CONN_BENCH_CH"] = json.dumps(
        {"conn_type": "clickhouse", "schema": "bench", "extra": {"interface": "chdb", "path": chdb_path}}
    )
    sql = f"SELECT * FROM {TABLE} WHERE id <= {rows}"
    to_ch = case.endswith("_ch")
    if to_ch:
        from airflow_ai_etl.hooks.clickhouse import ClickHouseHook

        client = ClickHouseHook(clickhouse_conn_id="bench_ch").get_client()
        client.command(f"DROP TABLE IF EXISTS bench.{TABLE}")
        client.command(f"CREATE TABLE bench.{TABLE} ({CH_COLUMNS}) ENGINE = MergeTree ORDER BY id")
        client.close()
    target_conn = "bench_ch" if to_ch else "bench_dst"
    if case == "baseline_ch":
        op: Any = None
    elif case.startswith("operator"):
        from airflow_ai_etl.operators import TransferOperator

        op = TransferOperator(
            task_id="bench",
            source_conn_id="bench_src",
            target_conn_id=target_conn,
            source_sql=sql,
            target_table=TABLE,
            batch_size=50_000,
        )
    else:
        from airflow.providers.common.sql.operators.generic_transfer import GenericTransfer

        op = GenericTransfer(
            task_id="bench",
            sql=sql,
            destination_table=TABLE,
            source_conn_id="bench_src",
            destination_conn_id=target_conn,
            insert_args={"commit_every": 10_000},
        )
    started = time.perf_counter()
    result = op.execute({}) if op is not None else {"path": "no transfer"}
    seconds = time.perf_counter() - started
    if to_ch:
        client = ClickHouseHook(clickhouse_conn_id="bench_ch").get_client()
        count = int(client.query(f"SELECT count() FROM bench.{TABLE}").result_rows[0][0])
        client.close()
    else:
        count = int(admin(f"SELECT count(*) FROM {TABLE}", TARGET_DB)[0][0])
    path = result.get("path") if isinstance(result, dict) else "GenericTransfer"
    return {"seconds": seconds, "rows": count, "path": path}


# --- parent side ------------------------------------------------------------------------------


def _wait(process: subprocess.Popen[bytes]) -> int:
    """Reap the child; its peak RSS in kB (ru_maxrss), descendants it waited for included."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return int(usage.ru_maxrss)


def measure_child(case: str, rows: int, chdb_path: str) -> dict[str, Any]:
    admin(f"TRUNCATE {TABLE}", TARGET_DB)
    out = Path(tempfile.mkstemp(prefix="ai-etl-bench-", suffix=".json")[1])
    process = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--child",
            case,
            "--rows",
            str(rows),
            "--chdb",
            chdb_path,
            "--out",
            str(out),
        ]
    )
    peak_kb = _wait(process)
    if process.returncode != 0:
        raise SystemExit(f"{case} failed (exit {process.returncode})")
    result: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    if result["rows"] != rows:
        raise SystemExit(f"{case}: the target holds {result['rows']} rows, expected {rows}")
    return result | {"peak_rss_mb": peak_kb / 1024, "rows_per_s": rows / max(result["seconds"], 1e-9)}


def measure_psql(rows: int) -> dict[str, Any]:
    admin(f"TRUNCATE {TABLE}", TARGET_DB)
    base = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER]
    out_cmd = [
        *base,
        "-d",
        SOURCE_DB,
        "-c",
        f"\\copy (SELECT * FROM {TABLE} WHERE id <= {rows}) TO STDOUT (FORMAT binary)",
    ]
    in_cmd = [*base, "-d", TARGET_DB, "-c", f"\\copy {TABLE} FROM STDIN (FORMAT binary)"]
    started = time.perf_counter()
    producer = subprocess.Popen(out_cmd, stdout=subprocess.PIPE)
    consumer = subprocess.Popen(in_cmd, stdin=producer.stdout)
    assert producer.stdout is not None
    producer.stdout.close()
    peak_kb = max(_wait(consumer), _wait(producer))
    seconds = time.perf_counter() - started
    if producer.returncode or consumer.returncode:
        raise SystemExit("the psql pipe failed")
    count = int(admin(f"SELECT count(*) FROM {TABLE}", TARGET_DB)[0][0])
    if count != rows:
        raise SystemExit(f"psql pipe: the target holds {count} rows, expected {rows}")
    return {
        "seconds": seconds,
        "rows": count,
        "path": "psql binary pipe",
        "peak_rss_mb": peak_kb / 1024,
        "rows_per_s": rows / seconds,
    }


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return max(runs, key=lambda r: r["rows_per_s"])


def line(name: str, result: dict[str, Any], note: str = "") -> None:
    print(
        f"  {name:<22} {result['rows']:>9,} rows {result['seconds']:8.2f} s "
        f"{result['rows_per_s']:>12,.0f} rows/s "
        f"peak RSS {result['peak_rss_mb']:6.0f} MB  [{result['path']}]{note}",
        flush=True,
    )


def kafka_section() -> None:
    """A Kafka -> PostgreSQL measurement, when benchmarks/kafka_ingest.py (another part) exists."""
    path = HERE / "kafka_ingest.py"
    if not path.exists():
        print("\nKafka -> PostgreSQL: benchmarks/kafka_ingest.py not present, skipped")
        return
    spec = importlib.util.spec_from_file_location("kafka_ingest", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures = module.measure(int(os.environ.get("AI_ETL_BENCH_KAFKA_MESSAGES", "200000")))
    print("\nKafka -> PostgreSQL (benchmarks/kafka_ingest.py):")
    for name, value in figures.items():
        print(f"  {name}: {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--generic-rows",
        type=int,
        default=100_000,
        help="rows for GenericTransfer (its rate is scaled by rows/s); 0 = --rows",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=2,
        help="runs of the psql pipe and of TransferOperator, interleaved; the best counts",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--chdb", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="ai-etl-bench-home-"))
        os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
        Path(args.out).write_text(json.dumps(child(args.child, args.rows, args.chdb)))
        return
    rows = args.rows
    generic_rows = min(args.generic_rows or rows, rows)
    print(f"Setting up {rows:,} source rows on {PG_HOST}:{PG_PORT} ...", flush=True)
    setup(rows)
    chdb_path = tempfile.mkdtemp(prefix="ai-etl-bench-chdb-")
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import clickhouse_connect as c; k = c.get_client(interface='chdb', "
            f"path={chdb_path!r}); k.command('CREATE DATABASE IF NOT EXISTS bench'); k.close()",
        ],
        check=True,
    )
    scaled = f" (measured on {generic_rows:,} rows, rate scaled)" if generic_rows < rows else ""
    try:
        print("\nPostgreSQL -> PostgreSQL")
        psql_runs, operator_runs = [], []
        for _ in range(max(1, args.repeat)):  # interleaved: a busy machine slows both alike
            psql_runs.append(measure_psql(rows))
            operator_runs.append(measure_child("operator_pg", rows, chdb_path))
        psql, operator = best(psql_runs), best(operator_runs)
        line("psql \\copy pipe", psql, f" (best of {len(psql_runs)})")
        line("TransferOperator", operator, f" (best of {len(operator_runs)})")
        generic = measure_child("generic_pg", generic_rows, chdb_path)
        line("GenericTransfer", generic, scaled)
        print("\nPostgreSQL -> ClickHouse (chDB in-process)")
        baseline = measure_child("baseline_ch", 0, chdb_path)
        operator_ch = best(
            [measure_child("operator_ch", rows, chdb_path) for _ in range(max(1, args.repeat))]
        )
        line("TransferOperator", operator_ch, f" (best of {max(1, args.repeat)})")
        generic_ch = measure_child("generic_ch", generic_rows, chdb_path)
        line("GenericTransfer", generic_ch, scaled)
        print(
            f"  chDB's engine runs inside the measured process: {baseline['peak_rss_mb']:.0f} MB peak RSS "
            "for opening it and counting the empty table, with no transfer"
        )
        print(f"  ratio_vs_generic_clickhouse={operator_ch['rows_per_s'] / generic_ch['rows_per_s']:.1f}")
        kafka_section()
    finally:
        teardown()
    print(
        f"\nTransferOperator peak RSS: PostgreSQL -> PostgreSQL {operator['peak_rss_mb']:.0f} MB, "
        f"PostgreSQL -> ClickHouse {operator_ch['peak_rss_mb']:.0f} MB, of which the in-process chDB "
        f"engine alone takes {baseline['peak_rss_mb']:.0f} MB (target <= {TARGET_RSS_MB} MB)"
    )
    print(f"ratio_vs_psql={operator['rows_per_s'] / psql['rows_per_s']:.2f}")
    print(f"ratio_vs_generic={operator['rows_per_s'] / generic['rows_per_s']:.1f}")


if __name__ == "__main__":
    main()
