"""Regenerate the per-dialect function catalogues from the engines themselves.

    .venv/bin/python scripts/function_catalogues.py [--pg postgresql://postgres@127.0.0.1:5432/postgres]
        [--only postgres,clickhouse,spark,sqlite]

Writes airflow_ai_etl/validation/sql/catalogues/<dialect>.json.gz (package data, read by
validation/sql/functions.py):
- postgres: pg_proc (name, argument and return types, kind, volatility, strictness, variadic,
  defaults, side-effect class), pg_aggregate's kind, pg_operator, pg_cast, pg_type and the
  column-name and reserved keywords that look like calls (`COALESCE(...)`, `TRIM(...)`) but are
  grammar, from a real server;
- clickhouse: system.functions through chDB;
- spark: SHOW FUNCTIONS and each function's ExpressionInfo (what DESCRIBE FUNCTION EXTENDED prints)
  from a local session;
- sqlite: pragma_function_list of the sqlite3 module's library.

`session_functions` marks engines where an application registers functions per session (Spark
UDFs, SQLite's create_function), which no catalog can list: an unknown name there is a warning.

Side-effect class of a PostgreSQL function (read-safety checks use it): `privileged` when PUBLIC may
not execute it (file access, signalling backends, ...), `writes` when it is volatile and
parallel-unsafe (the engine's own mark for state changes: nextval, setval, advisory locks, ...),
`nondeterministic` for other volatile functions (random, clock_timestamp), `none` otherwise.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "airflow_ai_etl" / "validation" / "sql" / "catalogues"

#: Type names of the SQL grammar that pg_type does not spell (resolved through ::regtype below).
_PG_GRAMMAR_TYPES = (
    "int",
    "integer",
    "smallint",
    "bigint",
    "real",
    "float",
    "double precision",
    "decimal",
    "dec",
    "boolean",
    "char",
    "character",
    "varchar",
    "character varying",
    "nchar",
    "national character varying",
    "timestamptz",
    "timetz",
    "bit varying",
)


def _pg_rows(cur: Any, sql: str) -> list[tuple[Any, ...]]:
    cur.execute(sql)
    return list(cur.fetchall())


def postgres(uri: str) -> dict[str, Any]:
    import psycopg2

    conn = psycopg2.connect(uri)
    try:
        with conn.cursor() as cur:
            version = str(_pg_rows(cur, "SHOW server_version")[0][0]).split()[0]
            types = {
                oid: {"name": name, "category": category, "preferred": preferred, "elem": elem, "base": base}
                for oid, name, category, preferred, elem, base in _pg_rows(
                    cur,
                    "SELECT t.oid, t.typname, t.typcategory, t.typispreferred, t.typelem, t.typbasetype "
                    "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                    "WHERE n.nspname IN ('pg_catalog', 'information_schema')",
                )
            }

            def name(oid: int) -> str:
                return str(types[oid]["name"]) if oid in types else "unknown"

            aliases: dict[str, str] = {}
            for oid, formatted in _pg_rows(cur, "SELECT oid, format_type(oid, NULL) FROM pg_type"):
                if oid in types:
                    aliases[formatted] = name(oid)
            for word in _PG_GRAMMAR_TYPES:
                aliases[word] = name(_pg_rows(cur, f"SELECT '{word}'::regtype::oid")[0][0])
            functions: dict[str, list[dict[str, Any]]] = {}
            for row in _pg_rows(
                cur,
                """
                SELECT p.proname, p.proargtypes::oid[], p.prorettype, p.prokind, p.provolatile,
                       p.proisstrict, p.provariadic, p.pronargdefaults, p.proretset, p.proparallel,
                       coalesce(a.aggkind, ''),
                       p.proacl IS NOT NULL AND NOT EXISTS (
                           SELECT 1 FROM aclexplode(p.proacl) acl
                           WHERE acl.grantee = 0 AND acl.privilege_type = 'EXECUTE')
                FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace
                LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid
                WHERE n.nspname = 'pg_catalog' AND p.prokind <> 'p'
                ORDER BY p.proname, p.oid
                """,
            ):
                proname, args, ret, kind, volatility, strict, variadic, defaults, retset = row[:9]
                parallel, aggkind, privileged = row[9:]
                arg_names = [name(a) for a in args]
                if "internal" in arg_names:
                    continue  # callable from C only
                side_effect = (
                    "privileged"
                    if privileged
                    else "writes"
                    if volatility == "v" and parallel == "u"
                    else "nondeterministic"
                    if volatility == "v"
                    else "none"
                )
                functions.setdefault(proname, []).append(
                    {
                        "args": arg_names,
                        "returns": name(ret),
                        "kind": {"f": "normal", "a": "aggregate", "w": "window"}[kind],
                        "aggregate_kind": aggkind or None,
                        "volatility": {"i": "immutable", "s": "stable", "v": "volatile"}[volatility],
                        "strict": strict,
                        "variadic": name(variadic) if variadic else None,
                        "defaults": defaults,
                        "returns_set": retset,
                        "side_effect": side_effect,
                    }
                )
            operators: dict[str, list[list[str]]] = {}
            for oprname, left, right, result in _pg_rows(
                cur, "SELECT oprname, oprleft, oprright, oprresult FROM pg_operator ORDER BY oid"
            ):
                operators.setdefault(oprname, []).append(
                    [name(left) if left else "", name(right) if right else "", name(result)]
                )
            casts: dict[str, dict[str, str]] = {}
            for source, target, context in _pg_rows(
                cur, "SELECT castsource, casttarget, castcontext FROM pg_cast ORDER BY oid"
            ):
                casts.setdefault(name(source), {})[name(target)] = context
            keywords = sorted(
                word
                for word, catcode in _pg_rows(cur, "SELECT word, catcode FROM pg_get_keywords()")
                if catcode in ("C", "R")  # grammar (COALESCE, EXTRACT, CAST), not type_func_name words
            )
    finally:
        conn.close()
    return {
        "dialect": "postgres",
        "engine": f"PostgreSQL {version}",
        "case_sensitive": False,
        "functions": functions,
        "operators": operators,
        "casts": casts,
        "types": {
            str(t["name"]): {
                "category": t["category"],
                "preferred": t["preferred"],
                "elem": name(t["elem"]) if t["elem"] else None,
                "base": name(t["base"]) if t["base"] else None,
            }
            for t in types.values()
        },
        "type_aliases": aliases,
        "grammar_calls": keywords,
    }


def clickhouse() -> dict[str, Any]:
    import clickhouse_connect

    client = clickhouse_connect.get_client(interface="chdb")
    version = client.query("SELECT version()").result_rows[0][0]
    functions: dict[str, list[dict[str, Any]]] = {}
    case_insensitive: list[str] = []
    rows = client.query(
        "SELECT name, is_aggregate, case_insensitive, alias_to FROM system.functions ORDER BY name"
    ).result_rows
    for fname, is_aggregate, insensitive, alias_to in rows:
        kind = "aggregate" if is_aggregate else "normal"
        functions[fname] = [{"kind": kind, "alias_to": alias_to or None}]
        if insensitive:
            case_insensitive.append(fname.lower())
    return {
        "dialect": "clickhouse",
        "engine": f"ClickHouse {version} (chDB)",
        "case_sensitive": True,
        "case_insensitive_functions": sorted(set(case_insensitive)),
        "functions": functions,
    }


def spark() -> dict[str, Any]:
    from pyspark.sql import SparkSession

    session = SparkSession.builder.master("local[1]").appName("function-catalogue").getOrCreate()
    try:
        jvm = session._jvm  # ExpressionInfo: what DESCRIBE FUNCTION EXTENDED prints
        assert jvm is not None
        catalog = session._jsparkSession.sessionState().catalog()
        functions: dict[str, list[dict[str, Any]]] = {}
        for (fname,) in session.sql("SHOW SYSTEM FUNCTIONS").collect():
            identifier = jvm.org.apache.spark.sql.catalyst.FunctionIdentifier(fname)
            info = catalog.lookupFunctionInfo(identifier)
            group = str(info.getGroup() or "")
            kind = "aggregate" if group == "agg_funcs" else "window" if group == "window_funcs" else "normal"
            functions[fname] = [{"kind": kind, "group": group or None}]
        version = session.version
    finally:
        session.stop()
    return {
        "dialect": "spark",
        "engine": f"Spark {version}",
        "case_sensitive": False,
        "session_functions": True,
        "functions": functions,
    }


def _sqlite_aggregates(conn: sqlite3.Connection, name: str, narg: int) -> bool:
    """Whether SQLite runs the function without OVER (row_number() et al. refuse)."""
    args = ", ".join(["x"] * narg) if narg >= 0 else "x"
    try:
        conn.execute(f"SELECT {name}({args}) FROM (SELECT 1 AS x)").fetchall()
    except sqlite3.Error as exc:
        return "misuse of window function" not in str(exc)
    return True


def sqlite() -> dict[str, Any]:
    conn = sqlite3.connect(":memory:")
    deterministic = 0x800  # SQLITE_DETERMINISTIC
    functions: dict[str, list[dict[str, Any]]] = {}
    for fname, ftype, narg, flags in conn.execute(
        "SELECT name, type, narg, flags FROM pragma_function_list ORDER BY name, narg"
    ).fetchall():
        kind = {"a": "aggregate", "w": "window"}.get(ftype, "normal")
        if kind == "window" and _sqlite_aggregates(conn, fname, narg):
            kind = "aggregate"  # 'w' lists aggregates usable as windows too: count, sum, group_concat
        functions.setdefault(fname, []).append(
            {
                "kind": kind,
                "nargs": narg,
                "volatility": "immutable" if flags & deterministic else "volatile",
            }
        )
    return {
        "dialect": "sqlite",
        "engine": f"SQLite {sqlite3.sqlite_version}",
        "case_sensitive": False,
        "session_functions": True,
        "functions": functions,
    }


def write(data: dict[str, Any]) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{data['dialect']}.json.gz"
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    path.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--only", default="postgres,clickhouse,spark,sqlite")
    args = parser.parse_args()
    builders: dict[str, Callable[[], dict[str, Any]]] = {
        "postgres": lambda: postgres(args.pg),
        "clickhouse": clickhouse,
        "spark": spark,
        "sqlite": sqlite,
    }
    for dialect in args.only.split(","):
        data = builders[dialect]()
        path = write(data)
        size = path.stat().st_size
        print(f"{path.name}: {data['engine']}, {len(data['functions'])} functions, {size} bytes")


if __name__ == "__main__":
    main()
