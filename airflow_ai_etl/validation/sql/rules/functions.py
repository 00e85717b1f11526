"""Rule: every function a query calls exists in the dialect (built in, or user-defined in the
connection's catalog).

An error where the connection's catalog lists user-defined functions (PostgreSQL); a warning
where applications register functions per session (Spark, SQLite), which no catalog can list.
`YEAR(x)` is MySQL, `STRFTIME` SQLite, `IIF` SQL Server: in PostgreSQL each fails at run time.
The finding names the function and, where one exists, the dialect's own way to write the same
call, found by sqlglot's transpiler: from the typed node sqlglot parsed, or by reading the call in
a dialect that has the function.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import Scope, walk_in_scope

from airflow_ai_etl.validation.report import Finding
from airflow_ai_etl.validation.sql.calls import written_call
from airflow_ai_etl.validation.sql.findings import did_you_mean, error, warning
from airflow_ai_etl.validation.sql.functions import FunctionCatalogue, function_catalogue
from airflow_ai_etl.validation.sql.rules.catalog import RuleCatalog

#: Dialects a foreign function name is read in to find the target dialect's equivalent.
_SOURCE_DIALECTS = ("mysql", "sqlite", "tsql", "spark", "clickhouse", "snowflake", "bigquery", "duckdb")


def _leading_name(sql: str) -> str:
    return sql.split("(", 1)[0].strip().lower()


def _equivalent(node: exp.Func, name: str, dialect: str, functions: FunctionCatalogue) -> str | None:
    """The call written the target dialect's way, when sqlglot knows one that differs."""
    candidates: list[exp.Expr] = []
    if not isinstance(node, exp.Anonymous):
        candidates.append(node)
    else:
        for source in _SOURCE_DIALECTS:
            other = function_catalogue(source)
            if other is not None and not other.signatures(name):
                continue
            try:
                parsed = sqlglot.parse_one(node.sql(source), read=source)
            except (SqlglotError, RecursionError):
                continue
            if not isinstance(parsed, exp.Anonymous):
                candidates.append(parsed)
    for candidate in candidates:
        try:
            written = candidate.sql(dialect)
        except (SqlglotError, RecursionError):
            continue
        leading = _leading_name(written)
        if leading != name.lower() and (not leading.isidentifier() or functions.is_callable(leading)):
            return written
    return None


def unknown_functions(expression: exp.Expr, scope: Scope, catalog: RuleCatalog) -> Iterator[Finding]:
    functions = catalog.functions
    if functions is None or catalog.dialect is None:
        return
    for node in walk_in_scope(scope.expression):
        if not isinstance(node, exp.Func) or isinstance(node, exp.Cast):
            continue
        call = written_call(node, catalog.sql)
        if call is None or functions.is_callable(call.name) or catalog.is_user_function(call.name):
            continue
        equivalent = _equivalent(node, call.name, catalog.dialect, functions)
        hint = f"write {equivalent}" if equivalent else did_you_mean(call.name.lower(), functions.functions)
        message = f"function {call.name} does not exist in {functions.engine}"
        hint = hint or "use a function the database has, or create it first"
        if functions.session_functions:
            message += " (unless the application registers it in its session)"
        yield (warning if functions.session_functions else error)("sql.unknown_function", message, hint)
