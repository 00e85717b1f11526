"""Catalog introspection on PostgreSQL: the pg_catalog fast path against SQLAlchemy's inspector.

    python benchmarks/catalog_introspection.py [--tables 1000] [--runs 5]

Creates a throwaway database with N tables (five columns, a primary key, a foreign key on every
third table, comments on some), reads its catalog with both paths (median of --runs each), drops
the database and prints seconds for each path and, last, the ratio. Target: the fast path reads
1,000 tables in well under a second.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable

# Airflow reads its configuration on first import: keep it away from the user's ~/airflow.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="ai-etl-bench-home-"))

import psycopg

SERVER = os.environ.get("AI_ETL_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
CONN_ID = "ai_etl_catalog_bench"


def _schema_ddl(tables: int) -> str:
    statements = []
    for i in range(tables):
        reference = f", parent_id bigint REFERENCES t{i - 1}(id)" if i % 3 == 2 else ""
        statements.append(
            f"CREATE TABLE t{i} (id bigserial PRIMARY KEY, name text NOT NULL, "
            f"amount numeric(12,2) DEFAULT 0, created_at timestamptz NOT NULL DEFAULT now(), "
            f"payload jsonb{reference})"
        )
        if i % 10 == 0:
            statements.append(f"COMMENT ON TABLE t{i} IS 'table number {i}'")
    return ";\n".join(statements)


def _median_seconds(read: Callable[[], int], runs: int, expected_tables: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        found = read()
        timings.append(time.perf_counter() - started)
        if found != expected_tables:
            raise SystemExit(f"expected {expected_tables} tables, read {found}")
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from airflow.providers.postgres.hooks.postgres import PostgresHook

    from airflow_ai_etl.catalog.dbapi import read_sqlalchemy_catalog
    from airflow_ai_etl.catalog.introspect import introspect_hook

    database = f"ai_etl_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        started = time.perf_counter()
        with psycopg.connect(f"{SERVER}/{database}") as conn:
            conn.execute(_schema_ddl(args.tables))
            conn.execute("ANALYZE")
        print(f"created {args.tables} tables in {time.perf_counter() - started:.1f} s")

        os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = f"{SERVER}/{database}"
        hook = PostgresHook(postgres_conn_id=CONN_ID)

        def fast() -> int:
            return len(introspect_hook(hook, CONN_ID, "postgres").tables)

        def inspector() -> int:
            return len(read_sqlalchemy_catalog(hook, conn_id=CONN_ID, dialect="postgres").tables)

        fast_s = _median_seconds(fast, args.runs, args.tables)
        inspector_s = _median_seconds(inspector, args.runs, args.tables)
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    print(f"tables: {args.tables}, runs: {args.runs} (median)")
    print(f"fast path (pg_catalog):        {fast_s:.3f} s")
    print(f"SQLAlchemy inspector (generic): {inspector_s:.3f} s")
    print(f"ratio inspector / fast path:   {inspector_s / fast_s:.1f}x")


if __name__ == "__main__":
    main()
