"""SQLite: the catalog from sqlite_master and the table-valued PRAGMA functions.

pragma_table_info() and pragma_foreign_key_list() joined to sqlite_master read every table in one
query each. Row counts come from sqlite_stat1 (written by ANALYZE); a COUNT(*) per table could
take minutes on a big file, so without statistics the count is unknown.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_ai_etl.catalog.errors import CatalogError
from airflow_ai_etl.catalog.models import Column, ForeignKey, SchemaCatalog, Table

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

# SQLite's own tables (sqlite_sequence, sqlite_stat1, ...) are not user data.
_USER_RELATIONS = "m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"

_RELATIONS = f"SELECT m.name, m.type FROM sqlite_master AS m WHERE {_USER_RELATIONS} ORDER BY m.name"

_COLUMNS = f"""
SELECT m.name, p.name, p.type, p."notnull", p.dflt_value, p.pk
FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p
WHERE {_USER_RELATIONS}
ORDER BY m.name, p.cid
"""

_FOREIGN_KEYS = f"""
SELECT m.name, f.id, f."table", f."from", f."to"
FROM sqlite_master AS m JOIN pragma_foreign_key_list(m.name) AS f
WHERE {_USER_RELATIONS}
ORDER BY m.name, f.id, f.seq
"""

_HAS_STATS = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"

# The first number of a stat is the row count of the index (of the table when idx is NULL);
# partial indexes count fewer rows, so the largest is the table's.
_STATS = "SELECT tbl, stat FROM sqlite_stat1"

_WRONG_URI_HINT = (
    "the SQLite hook reads an absolute path after three slashes: write the connection as "
    "'sqlite:///abs/path.db' (not 'sqlite:////abs/path.db'), or as JSON with the path in 'host'"
)


def _database_file(hook: DbApiHook) -> Path | None:
    """The file the hook will open, or None for an in-memory database."""
    uri = hook.get_uri()
    path = uri.removeprefix("sqlite:///").split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def _open(hook: DbApiHook, conn_id: str) -> sqlite3.Connection:
    # sqlite3 creates a missing file: a typo in the path would look like an empty database.
    path = _database_file(hook)
    if path is not None and not path.exists():
        raise CatalogError(f"connection '{conn_id}': SQLite database file '{path}' does not exist")
    try:
        connection: sqlite3.Connection = hook.get_conn()
    except sqlite3.OperationalError as err:
        hint = f" ({_WRONG_URI_HINT})" if "uri authority" in str(err) else ""
        raise CatalogError(f"connection '{conn_id}': cannot open the SQLite database: {err}{hint}") from err
    return connection


def _row_counts(connection: sqlite3.Connection) -> dict[str, int]:
    if connection.execute(_HAS_STATS).fetchone() is None:
        return {}
    counts: dict[str, int] = {}
    for table, stat in connection.execute(_STATS):
        rows = int(str(stat).split()[0])
        counts[table] = max(rows, counts.get(table, 0))
    return counts


def _is_rowid_alias(column: str, declared_type: str, primary_key: list[str]) -> bool:
    """An INTEGER PRIMARY KEY is the rowid: never NULL, although PRAGMA reports notnull=0."""
    return primary_key == [column] and declared_type.upper() == "INTEGER"


def _foreign_key(pairs: list[tuple[str, str, str | None]], primary_keys: dict[str, list[str]]) -> ForeignKey:
    """One key from its (referenced table, column, referenced column) rows, in key order."""
    ref_table = pairs[0][0]
    ref_columns = [ref for _, _, ref in pairs if ref is not None]
    # A key that names no referenced columns refers to the parent's primary key.
    return ForeignKey(
        columns=[column for _, column, _ in pairs],
        ref_table=ref_table,
        ref_columns=ref_columns or primary_keys.get(ref_table, []),
    )


def read_sqlite_catalog(hook: DbApiHook, *, conn_id: str) -> SchemaCatalog:
    """The catalog of the SQLite file behind a SqliteHook (one schema: tables carry no schema name)."""
    with closing(_open(hook, conn_id)) as connection:
        relations = connection.execute(_RELATIONS).fetchall()
        column_rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for table, *column in connection.execute(_COLUMNS):
            column_rows[table].append(tuple(column))
        key_rows: dict[str, dict[int, list[tuple[str, str, str | None]]]] = defaultdict(dict)
        for table, fk_id, ref_table, column, ref_column in connection.execute(_FOREIGN_KEYS):
            key_rows[table].setdefault(fk_id, []).append((ref_table, column, ref_column))
        row_counts = _row_counts(connection)

    primary_keys = {
        table: [name for _, name in sorted((pk, name) for name, _, _, _, pk in rows if pk)]
        for table, rows in column_rows.items()
    }
    tables = []
    for name, kind in relations:
        primary_key = primary_keys.get(name, [])
        columns = [
            Column(
                name=column,
                type=declared_type,
                nullable=not not_null and not _is_rowid_alias(column, declared_type, primary_key),
                default=default,
            )
            for column, declared_type, not_null, default, _ in column_rows[name]
        ]
        foreign_keys = [_foreign_key(pairs, primary_keys) for pairs in key_rows[name].values()]
        tables.append(
            Table(
                name=name,
                kind=kind,
                columns=columns,
                primary_key=primary_key,
                foreign_keys=foreign_keys,
                row_count=row_counts.get(name) if kind == "table" else None,
            )
        )
    return SchemaCatalog(conn_id=conn_id, dialect="sqlite", tables=tables)
