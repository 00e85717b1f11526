"""PostgreSQL as the oracle: the corpus's schemas created empty in a fresh database, each query
labelled by whether `EXPLAIN` accepts it, and the validator scored against those labels.

EXPLAIN runs PostgreSQL's parser, name resolution, type checking and planner without reading a
row, so on empty tables it says exactly whether a query is valid, in about a millisecond.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg2

from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.catalog.postgres import read_postgres_catalog
from airflow_ai_etl.validation.report import Severity
from airflow_ai_etl.validation.sql import check_sql
from tests.support.sql_corpus import SCHEMAS_SQL, Case, schema_names


@dataclass(frozen=True)
class Labelled:
    case: Case
    valid: bool
    error: str | None  # PostgreSQL's message for an invalid query


class _Hook:
    """The one method read_postgres_catalog needs from a PostgresHook."""

    def __init__(self, dsn: str, schema: str) -> None:
        self.dsn, self.schema = dsn, schema

    def get_conn(self) -> Any:
        return psycopg2.connect(self.dsn, options=f"-c search_path={self.schema}")


@contextmanager
def corpus_database(host: str = "127.0.0.1", port: int = 5432, user: str = "postgres") -> Iterator[str]:
    """A fresh database holding the corpus's schemas (dropped afterwards); yields its DSN."""
    name = f"sqlcheck_corpus_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host=host, port=port, user=user, dbname="postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        dsn = f"host={host} port={port} user={user} dbname={name}"
        conn = psycopg2.connect(dsn)
        try:
            with conn, conn.cursor() as cur:
                cur.execute(SCHEMAS_SQL.read_text())
        finally:
            conn.close()
        yield dsn
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def catalogs(dsn: str) -> dict[str, SchemaCatalog]:
    """Each corpus schema introspected the way a connection's catalog is (default schema = it)."""
    return {
        schema: read_postgres_catalog(_Hook(dsn, schema), conn_id=schema, schemas=[schema])  # type: ignore[arg-type]
        for schema in schema_names()
    }


def label(dsn: str, corpus: list[Case]) -> list[Labelled]:
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    labelled = []
    try:
        with conn.cursor() as cur:
            cur.execute("SET statement_timeout = '5s'")
            for case in corpus:
                cur.execute(f"SET search_path TO {case.schema}")
                try:
                    cur.execute(f"EXPLAIN {case.sql}")
                    labelled.append(Labelled(case, True, None))
                except psycopg2.Error as exc:
                    labelled.append(Labelled(case, False, (exc.pgerror or str(exc)).strip().splitlines()[0]))
    finally:
        conn.close()
    return labelled


@dataclass
class Score:
    true_rejections: int = 0
    false_rejections: list[Labelled] = field(default_factory=list)
    missed: list[Labelled] = field(default_factory=list)
    true_acceptances: int = 0
    seconds: list[float] = field(default_factory=list)
    #: CPU time of this process per query: what the validator costs when other work shares the cores.
    cpu_seconds: list[float] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.true_rejections + len(self.false_rejections) + len(self.missed) + self.true_acceptances

    @property
    def accuracy(self) -> float:
        return (self.true_rejections + self.true_acceptances) / self.total

    @property
    def precision(self) -> float:
        rejected = self.true_rejections + len(self.false_rejections)
        return self.true_rejections / rejected if rejected else 1.0

    @property
    def recall(self) -> float:
        invalid = self.true_rejections + len(self.missed)
        return self.true_rejections / invalid if invalid else 1.0

    def time_ms(self, quantile: float, cpu: bool = False) -> float:
        ordered = sorted(self.cpu_seconds if cpu else self.seconds)
        return 1000 * ordered[min(len(ordered) - 1, int(quantile * len(ordered)))]

    @property
    def median_ms(self) -> float:
        return 1000 * statistics.median(self.seconds)

    @property
    def median_cpu_ms(self) -> float:
        return 1000 * statistics.median(self.cpu_seconds)


def score(labelled: list[Labelled], catalogs: dict[str, SchemaCatalog]) -> Score:
    """Run the validator on every labelled query; a query is rejected when it has an error finding."""
    result = Score()
    for item in labelled:
        start, cpu_start = time.perf_counter(), time.process_time()
        findings = check_sql(
            item.case.sql, dialect="postgres", role="read", catalog=catalogs[item.case.schema]
        )
        result.seconds.append(time.perf_counter() - start)
        result.cpu_seconds.append(time.process_time() - cpu_start)
        rejected = any(f.severity is Severity.ERROR for f in findings)
        if rejected and item.valid:
            result.false_rejections.append(item)
        elif rejected:
            result.true_rejections += 1
        elif item.valid:
            result.true_acceptances += 1
        else:
            result.missed.append(item)
    return result
