"""Value summaries: the few distinct values of low-cardinality text columns (status, plan, region),
so that a request's "cancelled orders" can link to `status = 'cancelled'`.

Bounded and read-only: one query per base table reads at most `SAMPLE_ROWS` rows of the candidate
columns through a read-only connection (hooks/readonly.py), under a per-statement time limit where
the engine has one (PostgreSQL) and a budget for the whole catalog. Views are never read: their cost
is whatever their query computes (a join over billions of rows, a function per row), and
introspection must stay cheap. A column with more than `limit`
distinct values in that sample is not low-cardinality and gets no summary. Columns whose names say
they hold secrets or personal data (catalog/sensitive.py), keys, references and time-like names
are never read. Catalogs of more than `MAX_TABLES` tables are not sampled (the cost would grow
with the catalog; requests over such catalogs name their values). A table that cannot be read
keeps no summary: sampling never fails an introspection.
"""

from __future__ import annotations

import logging
import re
import time
from contextlib import closing, suppress
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table
from airflow_ai_etl.catalog.sensitive import is_sensitive

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

log = logging.getLogger(__name__)

#: Rows read per table, at most.
SAMPLE_ROWS = 2_000
#: Most distinct values a summarised column may have, unless configured.
DEFAULT_LIMIT = 20
#: Catalogs with more tables than this are not sampled.
MAX_TABLES = 200
#: Time one sampling statement may take (PostgreSQL cancels it), and all of a catalog's sampling.
STATEMENT_SECONDS = 2.0
BUDGET_SECONDS = 10.0
#: A summarised value is at most this long (longer text is prose, not a category).
_MAX_VALUE_CHARS = 40
_TEXT_TYPE = re.compile(r"char|text|string|enum|clob|varchar", re.IGNORECASE)
_NOT_A_CATEGORY = re.compile(r"(?:^|_)(?:id|key|uuid|guid|hash|name|url|path|at|on|date|time|ts|dt)$|Id$")


def candidate(table: Table, column: Column) -> bool:
    """A text column that may be a category: not a key, a reference, a name, a time or a secret."""
    keys = {k.lower() for k in table.primary_key} | {
        c.lower() for fk in table.foreign_keys for c in fk.columns
    }
    return (
        bool(_TEXT_TYPE.search(column.type))
        and column.name.lower() not in keys
        and not _NOT_A_CATEGORY.search(column.name)
        and not is_sensitive(column.name)
    )


def _sample_sql(table: Table, columns: list[Column], dialect: str) -> str:
    source = exp.table_(table.name, db=table.schema_name, quoted=True)
    query = exp.select(*(exp.column(c.name, quoted=True) for c in columns)).from_(source).limit(SAMPLE_ROWS)
    return query.sql(dialect=dialect or None)


def summarise(rows: list[tuple[object, ...]], width: int, limit: int) -> list[list[str] | None]:
    """Per column of `rows`: its distinct values, sorted, or None when there are more than `limit`
    (or a value too long to be a category)."""
    summaries: list[list[str] | None] = []
    for index in range(width):
        seen: set[str] = set()
        for row in rows:
            value = row[index]
            if value is None:
                continue
            text = str(value)
            if len(text) > _MAX_VALUE_CHARS or len(seen) > limit:
                seen = set()
                break
            seen.add(text)
        summaries.append(sorted(seen) if 0 < len(seen) <= limit else None)
    return summaries


def configured_limit() -> int:
    """`[ai_etl] value_summaries`: most distinct values a summarised column may have (0: off)."""
    from airflow.configuration import conf

    return conf.getint("ai_etl", "value_summaries", fallback=DEFAULT_LIMIT)


def with_value_summaries(catalog: SchemaCatalog, hook: DbApiHook, *, limit: int) -> SchemaCatalog:
    """The catalog with `values` on its low-cardinality text columns (unchanged when limit <= 0)."""
    if limit <= 0 or not catalog.tables or len(catalog.tables) > MAX_TABLES:
        return catalog
    from airflow_ai_etl.hooks.readonly import read_only_connection

    tables = list(catalog.tables)
    conn = read_only_connection(hook)
    deadline = time.monotonic() + BUDGET_SECONDS
    try:
        _limit_statement_time(conn, catalog.dialect)
        for position, table in enumerate(tables):
            columns = [c for c in table.columns if candidate(table, c)]
            if table.kind != "table" or not columns:
                continue
            if time.monotonic() > deadline:
                log.info("value summaries stop at %s: the %gs budget is spent", table.name, BUDGET_SECONDS)
                break
            try:
                with closing(conn.cursor()) as cursor:
                    cursor.execute(_sample_sql(table, columns, catalog.dialect))
                    rows = [tuple(row) for row in cursor.fetchall()]
            except Exception as error:  # drivers share no error class; a summary is never worth a failure
                log.info("no value summary for %s: %s", table.qualified_name, error)
                _rollback(conn)
                continue
            found = dict(zip((c.name for c in columns), summarise(rows, len(columns), limit), strict=True))
            tables[position] = table.model_copy(
                update={
                    "columns": [
                        c.model_copy(update={"values": found[c.name]}) if found.get(c.name) else c
                        for c in table.columns
                    ]
                }
            )
    finally:
        conn.close()
    return catalog.model_copy(update={"tables": tables})


def _limit_statement_time(conn: Any, dialect: str) -> None:
    """PostgreSQL cancels a sampling statement that runs longer than `STATEMENT_SECONDS`."""
    if dialect not in ("postgres", "postgresql"):
        return
    with closing(conn.cursor()) as cursor:
        cursor.execute(f"SET statement_timeout = {int(STATEMENT_SECONDS * 1000)}")
    conn.commit()


def _rollback(conn: object) -> None:
    """PostgreSQL refuses every later statement of a failed transaction until it is rolled back."""
    rollback = getattr(conn, "rollback", None)
    if callable(rollback):
        with suppress(Exception):  # a connection that cannot roll back has nothing to undo
            rollback()
