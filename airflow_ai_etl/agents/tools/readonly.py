"""Running a query read-only: statement allowlist, read-only transaction, timeout, row cap, rollback.

Three independent guards, so that one gap is not a hole: the spine's `check_sql` admits only a read
statement; the database is told the transaction is read-only (PostgreSQL `SET TRANSACTION READ
ONLY`, SQLite `PRAGMA query_only`, ClickHouse `readonly`, see hooks/readonly.py); and whatever
happened is rolled back. Time is bounded by the
database (PostgreSQL `SET LOCAL statement_timeout`) and by a watchdog that cancels the statement
from another thread (SQLite `interrupt()`, psycopg `cancel()`), for drivers that have one.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from airflow_ai_etl.agents.tools.context import HookGetter, ToolError
from airflow_ai_etl.hooks.readonly import read_only_connection
from airflow_ai_etl.sql_depth import deep_nesting
from airflow_ai_etl.validation.report import Severity
from airflow_ai_etl.validation.sql import check_sql

#: Extra time the watchdog gives a database that enforces the timeout itself (its error is clearer).
_WATCHDOG_GRACE_S = 1.0
_QUERY_CANCELED = "57014"
#: Dialects whose EXPLAIN compiles a query without running it, and the prefix that does it.
_EXPLAIN_PREFIX = {
    "postgres": "EXPLAIN ",
    "sqlite": "EXPLAIN QUERY PLAN ",
    "mysql": "EXPLAIN ",
    "duckdb": "EXPLAIN ",
    "clickhouse": "EXPLAIN ",
    "trino": "EXPLAIN ",
    "spark": "EXPLAIN ",
    "hive": "EXPLAIN ",
    "snowflake": "EXPLAIN ",
}


class ReadOnlyRefused(ToolError):
    """The statement is not a plain read; it was not sent to the database."""


class ConnectionUnavailable(ToolError):
    """No connection could be opened (undefined, unreachable, no DB-API hook)."""


class QueryFailed(ToolError):
    """The database rejected the statement or cut it at the time limit (`timed_out`)."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool


def _one_line(err: BaseException) -> str:
    text = " ".join(line.strip() for line in str(err).splitlines() if line.strip())
    return text or type(err).__name__


def _is_timeout(err: BaseException) -> bool:
    """PostgreSQL's own statement_timeout (SQLSTATE 57014, query_canceled; psycopg 3 and 2)."""
    return _QUERY_CANCELED in (getattr(err, "sqlstate", None), getattr(err, "pgcode", None))


def _sqlglot_dialect(dialect: str) -> str | None:
    return dialect or None


def ensure_read_only(sql: str, dialect: str) -> None:
    """Raise ReadOnlyRefused unless `sql` is a single read statement (the spine's rule for reads)."""
    errors = [f for f in check_sql(sql, dialect=dialect, role="read") if f.severity is Severity.ERROR]
    if errors:
        raise ReadOnlyRefused("refused (read-only): " + "; ".join(f.message for f in errors))


def explain_statement(sql: str, dialect: str) -> str:
    """`sql` under the dialect's plan-only EXPLAIN (never ANALYZE: that would run it)."""
    prefix = _EXPLAIN_PREFIX.get(dialect)
    if prefix is None:
        raise ToolError(f"EXPLAIN is not supported here for dialect {dialect or 'generic'!r}")
    return prefix + sql.strip().rstrip(";").rstrip()


def limit_zero(sql: str, dialect: str) -> str:
    """`sql` wrapped so that the database plans and type-checks it but returns no row."""
    with deep_nesting():
        try:
            inner = sqlglot.parse_one(sql, dialect=_sqlglot_dialect(dialect))
        except SqlglotError as err:
            raise QueryFailed(f"cannot parse the query: {_one_line(err)}") from err
        wrapped = exp.select(exp.Star()).from_(exp.Subquery(this=inner, alias=exp.TableAlias(this="_q")))
        return wrapped.limit(0).sql(dialect=_sqlglot_dialect(dialect))


def dry_run_statement(sql: str, dialect: str) -> str:
    """The statement that proves `sql` would run, without running it: EXPLAIN, else LIMIT 0."""
    return explain_statement(sql, dialect) if dialect in _EXPLAIN_PREFIX else limit_zero(sql, dialect)


def _guard_statements(dialect: str, timeout_s: float) -> list[str]:
    if dialect == "postgres":
        return ["SET TRANSACTION READ ONLY", f"SET LOCAL statement_timeout = {max(1, int(timeout_s * 1000))}"]
    if dialect == "sqlite":
        return ["PRAGMA query_only = ON"]
    return []


@contextlib.contextmanager
def _watchdog(conn: Any, seconds: float) -> Iterator[threading.Event]:
    """Cancel the running statement after `seconds`; the event tells whether it fired."""
    fired = threading.Event()
    cancel = getattr(conn, "interrupt", None) or getattr(conn, "cancel", None)

    def fire() -> None:
        fired.set()
        if cancel is not None:
            with contextlib.suppress(Exception):
                cancel()

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()


def _open(get_hook: HookGetter, conn_id: str) -> Any:
    try:
        hook = get_hook(conn_id)
        if not callable(getattr(hook, "get_conn", None)):
            raise ConnectionUnavailable(f"connection {conn_id!r} has no SQL (DB-API) hook")
        conn = read_only_connection(hook)
        if getattr(conn, "autocommit", False):
            conn.autocommit = False
        return conn
    except ToolError:
        raise
    except Exception as err:  # drivers share no base class; any failure to connect is the same to us
        raise ConnectionUnavailable(f"cannot connect to {conn_id!r}: {_one_line(err)}") from err


def run_read_only(
    get_hook: HookGetter,
    conn_id: str,
    query: str,
    *,
    dialect: str,
    timeout_s: float,
    max_rows: int,
    wrap: Callable[[str, str], str] | None = None,
) -> QueryResult:
    """Run one read statement and return at most `max_rows` rows; nothing it did is committed.

    `wrap(query, dialect)` turns the checked query into the statement sent (EXPLAIN <query>, a
    LIMIT 0 wrapper): the allowlist always judges the query itself, never the wrapper.
    """
    ensure_read_only(query, dialect)
    sql = wrap(query, dialect) if wrap is not None else query
    conn = _open(get_hook, conn_id)
    timed_out = threading.Event()
    try:
        grace = _WATCHDOG_GRACE_S if dialect == "postgres" else 0.0
        with _watchdog(conn, timeout_s + grace) as timed_out:
            cursor = conn.cursor()
            for statement in _guard_statements(dialect, timeout_s):
                cursor.execute(statement)
            cursor.execute(sql)
            if cursor.description is None:
                return QueryResult(columns=[], rows=[], truncated=False)
            columns = [str(d[0]) for d in cursor.description]
            rows = [tuple(r) for r in cursor.fetchmany(max_rows + 1)]
    except Exception as err:  # the database's own words are the useful part
        if timed_out.is_set() or _is_timeout(err):
            raise QueryFailed(f"cancelled at the time limit of {timeout_s:g} s", timed_out=True) from err
        raise QueryFailed(_one_line(err)) from err
    finally:
        with contextlib.suppress(Exception):
            conn.rollback()
        with contextlib.suppress(Exception):
            conn.close()
    return QueryResult(columns=columns, rows=rows[:max_rows], truncated=len(rows) > max_rows)
