"""PostgreSQL fast path: the whole catalog from pg_catalog in a fixed number of queries.

SQLAlchemy's inspector and information_schema cost far more per table; here five set-based
queries (default schema, relations, columns, keys, functions) read any number of tables in one
consistent, read-only snapshot.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from typing import TYPE_CHECKING, Any

from airflow_ai_etl.catalog.models import (
    Column,
    ForeignKey,
    Function,
    FunctionKind,
    SchemaCatalog,
    Table,
    Volatility,
    generated_default,
    identity_default,
)

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

# System and temporary schemas are left out.
_SCHEMA_FILTER = r"""
    n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\_toast%%'
    AND n.nspname NOT LIKE 'pg\_temp\_%%'
    AND (%(all_schemas)s OR n.nspname = ANY(%(schemas)s::text[]))
"""
# Ordinary, partitioned and foreign tables, views and materialized views; partitions are left out
# (pipelines read and write their parent).
_RELATION_FILTER = f"""
    c.relkind IN ('r', 'p', 'v', 'm', 'f')
    AND NOT c.relispartition
    AND {_SCHEMA_FILTER}
"""

# A partitioned table has no rows of its own: its size is the sum over its leaf partitions.
# reltuples = -1 means never analysed (PostgreSQL 14+): unknown, not empty.
_RELATIONS = f"""
SELECT c.oid, n.nspname, c.relname, c.relkind,
       (CASE
            WHEN c.relkind = 'p' THEN (
                SELECT sum(leaf.reltuples)
                FROM pg_partition_tree(c.oid) AS tree
                JOIN pg_class AS leaf ON leaf.oid = tree.relid
                WHERE tree.isleaf AND leaf.reltuples >= 0)
            WHEN c.relkind IN ('r', 'm', 'f') AND c.reltuples >= 0 THEN c.reltuples
        END)::bigint,
       d.description
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_description AS d
    ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
WHERE {_RELATION_FILTER}
ORDER BY n.nspname, c.relname
"""

# pg_description is joined rather than called through col_description() per row: one hash join.
# pg_get_expr with a relation opens (and briefly locks) it to name columns; only a generated
# column's expression refers to columns, so plain defaults are deparsed without it (~2x faster,
# and not held up by a concurrent ALTER TABLE).
_COLUMNS = f"""
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(ad.adbin, CASE WHEN a.attgenerated = '' THEN 0 ELSE ad.adrelid END),
       a.attidentity, a.attgenerated, d.description
FROM pg_attribute AS a
JOIN pg_class AS c ON c.oid = a.attrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef AS ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_description AS d
    ON d.objoid = a.attrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped AND {_RELATION_FILTER}
ORDER BY a.attrelid, a.attnum
"""

# conkey/confkey hold attribute numbers in key order; WITH ORDINALITY keeps that order.
# conparentid <> 0 marks the per-partition clones of a constraint: the parent row suffices.
_KEYS = f"""
SELECT con.conrelid, con.contype,
       ARRAY(SELECT att.attname::text
             FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute AS att ON att.attrelid = con.conrelid AND att.attnum = k.attnum
             ORDER BY k.ord),
       ref_n.nspname, ref_c.relname,
       ARRAY(SELECT att.attname::text
             FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute AS att ON att.attrelid = con.confrelid AND att.attnum = k.attnum
             ORDER BY k.ord)
FROM pg_constraint AS con
JOIN pg_class AS c ON c.oid = con.conrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_class AS ref_c ON ref_c.oid = con.confrelid
LEFT JOIN pg_namespace AS ref_n ON ref_n.oid = ref_c.relnamespace
WHERE con.contype IN ('p', 'f') AND con.conparentid = 0 AND {_RELATION_FILTER}
ORDER BY con.conrelid, con.conname
"""

# Functions in the same schemas as the relations: the user's own and those extensions installed
# there (dblink, ...); pg_catalog's built-ins are judged by validation's own per-dialect lists.
_FUNCTIONS = f"""
SELECT n.nspname, p.proname,
       ARRAY(SELECT format_type(arg.oid, NULL)
             FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS arg(oid, ord)
             ORDER BY arg.ord),
       pg_get_function_result(p.oid), p.prokind, p.provolatile
FROM pg_proc AS p
JOIN pg_namespace AS n ON n.oid = p.pronamespace
WHERE {_SCHEMA_FILTER}
ORDER BY n.nspname, p.proname, p.oid
"""

_DEFAULT_SCHEMA = "SELECT coalesce((current_schemas(false))[1], 'public')"

_KINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized_view", "f": "foreign_table"}
_FUNCTION_KINDS: dict[str, FunctionKind] = {"f": "normal", "a": "aggregate", "w": "window", "p": "procedure"}
_VOLATILITY: dict[str, Volatility] = {"i": "immutable", "s": "stable", "v": "volatile"}


def _rows(cursor: Any, sql: str, params: Mapping[str, object]) -> list[tuple[Any, ...]]:
    """All rows as tuples, whatever row factory the connection's `cursor` extra configured."""
    cursor.execute(sql, params)
    return [tuple(row.values()) if isinstance(row, Mapping) else tuple(row) for row in cursor.fetchall()]


def _column(row: Sequence[Any]) -> Column:
    name, type_, not_null, default, identity, generated, comment = row
    if identity:
        default = identity_default(always=identity == "a")
    elif generated and default is not None:
        default = generated_default(default)
    return Column(name=name, type=type_, nullable=not not_null, default=default, comment=comment)


def _keys(
    rows: Iterable[tuple[Any, ...]],
) -> tuple[dict[int, list[str]], dict[int, list[ForeignKey]]]:
    primary: dict[int, list[str]] = {}
    foreign: dict[int, list[ForeignKey]] = defaultdict(list)
    for oid, contype, columns, ref_schema, ref_table, ref_columns in rows:
        if contype == "p":
            primary[oid] = list(columns)
        else:
            reference = f"{ref_schema}.{ref_table}"
            foreign[oid].append(ForeignKey(columns=columns, ref_table=reference, ref_columns=ref_columns))
    return primary, foreign


def _function(row: Sequence[Any]) -> Function:
    schema, name, argument_types, return_type, kind, volatility = row
    return Function(
        name=name,
        schema_name=schema,
        argument_types=list(argument_types),
        return_type=return_type or "",
        kind=_FUNCTION_KINDS[kind],
        volatility=_VOLATILITY[volatility],
    )


def read_postgres_catalog(
    hook: DbApiHook, *, conn_id: str, schemas: Sequence[str] | None = None
) -> SchemaCatalog:
    """The catalog of the database behind a PostgresHook; `schemas` limits it to those schemas."""
    params = {"all_schemas": schemas is None, "schemas": list(schemas or [])}
    connection = hook.get_conn()
    try:
        with closing(connection.cursor()) as cursor:
            # One snapshot for all queries, so concurrent DDL cannot make them disagree.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            default_schema = _rows(cursor, _DEFAULT_SCHEMA, {})[0][0]
            relations = _rows(cursor, _RELATIONS, params)
            columns: dict[int, list[Column]] = defaultdict(list)
            for oid, *column in _rows(cursor, _COLUMNS, params):
                columns[oid].append(_column(column))
            primary, foreign = _keys(_rows(cursor, _KEYS, params))
            functions = [_function(row) for row in _rows(cursor, _FUNCTIONS, params)]
    finally:
        connection.close()
    tables = [
        Table(
            name=name,
            schema_name=schema,
            kind=_KINDS[relkind],
            columns=columns[oid],
            primary_key=primary.get(oid, []),
            foreign_keys=foreign.get(oid, []),
            row_count=row_count,
            comment=comment,
        )
        for oid, schema, name, relkind, row_count, comment in relations
    ]
    return SchemaCatalog(
        conn_id=conn_id,
        dialect="postgres",
        default_schema=default_schema,
        tables=tables,
        functions=functions,
    )
