"""Which tables a spec touches, and each one's structural fingerprint, as the draft records them.

An approved pipeline is only a safe model for a new one while the tables it was approved over are
as they were: its draft's report keeps a fingerprint per table it reads or writes (those that
existed when it was planned), and pipeline memory compares them with the catalogs of today.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from airflow_ai_etl.catalog.models import SchemaCatalog, Table


def table_fingerprint(table: Table) -> str:
    """sha256 of one table's structure: row counts and sampled values are data, not structure."""
    data = table.model_dump(mode="json", exclude={"row_count"})
    for column in data["columns"]:
        column.pop("values", None)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _named_tables(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, str | None]]:
    """(conn_id, table name, None) or (conn_id, SQL, SQL) for every place a step names a connection."""

    def walk(value: Any) -> Iterator[tuple[str, str, str | None]]:
        if isinstance(value, Mapping):
            conn_id = value.get("conn_id")
            if isinstance(conn_id, str):
                if isinstance(value.get("table"), str):
                    yield conn_id, value["table"], None
                if isinstance(value.get("sql"), str):
                    yield conn_id, value["sql"], value["sql"]
            for item in value.values():
                yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)

    yield from walk(spec.get("steps", []))


def touched_tables(spec: Mapping[str, Any], catalogs: Sequence[SchemaCatalog]) -> dict[str, Table]:
    """`conn:schema.table` -> table, for every existing table the spec's steps name or query."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    by_conn = {c.conn_id: c for c in catalogs}
    found: dict[str, Table] = {}
    for conn_id, text, sql in _named_tables(spec):
        catalog = by_conn.get(conn_id)
        if catalog is None:
            continue
        names = [text]
        if sql is not None:
            try:
                trees = sqlglot.parse(sql, read=catalog.dialect or None)
            except SqlglotError:
                continue  # validation reports it; an unreadable statement touches nothing here
            names = [
                ".".join(part for part in (node.db, node.name) if part)
                for tree in trees
                if tree is not None
                for node in tree.find_all(exp.Table)
            ]
        for name in names:
            table = catalog.find_table(name) if name else None
            if table is not None:
                found[f"{conn_id}:{table.qualified_name}"] = table
    return found


def spec_fingerprints(spec: Mapping[str, Any], catalogs: Sequence[SchemaCatalog]) -> dict[str, str]:
    """What a draft records: `conn:schema.table` -> fingerprint of each table it touches."""
    return {
        label: table_fingerprint(table) for label, table in sorted(touched_tables(spec, catalogs).items())
    }


def changed_tables(recorded: Mapping[str, str], catalogs: Sequence[SchemaCatalog]) -> list[str]:
    """The recorded tables that are gone or whose structure changed since they were recorded."""
    by_conn = {c.conn_id: c for c in catalogs}
    changed = []
    for label, fingerprint in sorted(recorded.items()):
        conn_id, _, name = label.partition(":")
        catalog = by_conn.get(conn_id)
        table = catalog.find_table(name) if catalog is not None else None
        if table is None or table_fingerprint(table) != fingerprint:
            changed.append(label)
    return changed
