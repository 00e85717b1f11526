"""Generic path: any DbApiHook with a SQLAlchemy dialect, read through SQLAlchemy's inspector.

The batch (`get_multi_*`) calls let dialects that support it read a whole schema at once; the
others fall back to one query per table inside SQLAlchemy. Row counts are unknown here: there is
no portable statistic, and counting rows could take minutes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from airflow_ai_etl.catalog.connections import dialect_for_conn_type
from airflow_ai_etl.catalog.errors import CatalogError
from airflow_ai_etl.catalog.models import (
    Column,
    ForeignKey,
    SchemaCatalog,
    Table,
    generated_default,
    identity_default,
)

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook
    from sqlalchemy.engine import Dialect, Engine
    from sqlalchemy.engine.interfaces import ReflectedColumn
    from sqlalchemy.engine.reflection import Inspector

# Catalogs of the database itself, across the dialects SQLAlchemy knows.
T = TypeVar("T")

_SYSTEM_SCHEMAS = frozenset(
    {"information_schema", "pg_catalog", "mysql", "performance_schema", "sys", "INFORMATION_SCHEMA"}
)


def require_sql_hook(hook: object, conn_id: str) -> DbApiHook:
    """The hook as a DbApiHook: every reader needs SQL; a file or HTTP hook has no schema to read."""
    from airflow.providers.common.sql.hooks.sql import DbApiHook

    if not isinstance(hook, DbApiHook):
        raise CatalogError(
            f"connection '{conn_id}' uses {type(hook).__name__}, which is not a SQL (DbApiHook) hook: "
            "its schema cannot be read"
        )
    return hook


def _engine(hook: DbApiHook, conn_id: str) -> Engine:
    from sqlalchemy.exc import ArgumentError

    try:
        return hook.get_sqlalchemy_engine()
    except (ArgumentError, NotImplementedError, ImportError) as err:
        raise CatalogError(
            f"connection '{conn_id}' ({type(hook).__name__}) has no SQLAlchemy URI that SQLAlchemy can "
            f"load, so its schema cannot be read: {err}"
        ) from err


def _type_name(column: ReflectedColumn, dialect: Dialect) -> str:
    from sqlalchemy.exc import CompileError

    try:
        return str(column["type"].compile(dialect=dialect))
    except CompileError:  # a type the dialect reflected but cannot name (NullType)
        return ""


def _column(column: ReflectedColumn, dialect: Dialect) -> Column:
    default = column.get("default")
    if "identity" in column:
        default = identity_default(always=bool(column["identity"].get("always")))
    elif "computed" in column:
        default = generated_default(str(column["computed"]["sqltext"]))
    return Column(
        name=column["name"],
        type=_type_name(column, dialect),
        nullable=column["nullable"],
        default=default,
        comment=column.get("comment"),
    )


def _optional(call: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """A reflection call that some dialects do not implement (comments, materialized views)."""
    try:
        return call(*args, **kwargs)
    except NotImplementedError:
        return None


def _schema_tables(inspector: Inspector, schema: str, default_schema: str | None) -> list[Table]:
    from sqlalchemy.engine.reflection import ObjectKind

    kinds = dict.fromkeys(inspector.get_view_names(schema), "view")
    materialized = _optional(inspector.get_materialized_view_names, schema) or []
    kinds |= dict.fromkeys(materialized, "materialized_view")
    columns = inspector.get_multi_columns(schema, kind=ObjectKind.ANY)
    primary_keys = inspector.get_multi_pk_constraint(schema, kind=ObjectKind.ANY)
    foreign_keys = inspector.get_multi_foreign_keys(schema, kind=ObjectKind.ANY)
    comments = _optional(inspector.get_multi_table_comment, schema, kind=ObjectKind.ANY) or {}
    tables = []
    for key in sorted(columns, key=lambda k: k[1]):
        name = key[1]
        primary_key = primary_keys.get(key)
        comment = comments.get(key)
        tables.append(
            Table(
                name=name,
                schema_name=schema,
                kind=kinds.get(name, "table"),
                columns=[_column(c, inspector.dialect) for c in columns[key]],
                primary_key=list(primary_key["constrained_columns"]) if primary_key else [],
                foreign_keys=[
                    ForeignKey(
                        columns=list(fk["constrained_columns"]),
                        # SQLAlchemy leaves out a schema that the search path makes implicit.
                        ref_table=f"{fk['referred_schema'] or default_schema}.{fk['referred_table']}",
                        ref_columns=list(fk["referred_columns"]),
                    )
                    for fk in foreign_keys.get(key, [])
                ],
                comment=comment["text"] if comment else None,
            )
        )
    return tables


def read_sqlalchemy_catalog(
    hook: DbApiHook, *, conn_id: str, dialect: str, schemas: Sequence[str] | None = None
) -> SchemaCatalog:
    """The catalog of any DbApiHook whose connection SQLAlchemy can open; all user schemas by default."""
    from sqlalchemy import inspect

    engine = _engine(hook, conn_id)
    try:
        inspector = inspect(engine)
        default_schema = inspector.default_schema_name
        names = list(schemas) if schemas is not None else inspector.get_schema_names()
        tables = [
            table
            for schema in sorted(names)
            if schemas is not None or (schema not in _SYSTEM_SCHEMAS and not schema.startswith("pg_"))
            for table in _schema_tables(inspector, schema, default_schema)
        ]
    finally:
        engine.dispose()
    return SchemaCatalog(
        conn_id=conn_id,
        dialect=dialect or dialect_for_conn_type(engine.dialect.name),
        default_schema=default_schema,
        tables=tables,
    )
