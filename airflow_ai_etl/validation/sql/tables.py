"""Tables a statement names: which it reads, which it writes, and which the catalog lacks."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from sqlglot import exp

from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.validation.readsafety import is_system_relation
from airflow_ai_etl.validation.report import Finding
from airflow_ai_etl.validation.sql.findings import error

WRITES = (exp.Insert, exp.Update, exp.Merge)


def table_name(table: exp.Table) -> str:
    return ".".join(part for part in (table.catalog, table.db, table.name) if part).lower()


def target_table(node: exp.Expr) -> exp.Table | None:
    """The table a DML/DDL statement writes (INSERT's target may be wrapped in a column Schema)."""
    target = node.this
    if isinstance(target, exp.Schema):
        target = target.this
    if isinstance(target, exp.Table):
        return target
    merge = node.find_ancestor(exp.Merge)  # `WHEN MATCHED THEN DELETE` acts on MERGE's target
    return target_table(merge) if merge is not None else None


def destructive_tables(node: exp.Expr) -> list[exp.Table]:
    if isinstance(node, exp.TruncateTable):
        return [t for t in node.expressions if isinstance(t, exp.Table)]
    if isinstance(node, exp.Drop):
        tables = node.args.get("tables") or [node.this]
        return [t for t in tables if isinstance(t, exp.Table)]
    target = target_table(node)
    return [target] if target is not None else []


def _is_relation(table: exp.Table, cte_names: set[str]) -> bool:
    """A reference to a stored table: not a CTE, a table function or a system relation."""
    if not isinstance(table.this, exp.Identifier):
        return False  # generate_series(...), UNNEST(...) and other table functions
    if not table.db and table.name.lower() in cte_names:
        return False
    return not is_system_relation(table.db, table.name)


def _relations(root: exp.Expr) -> Iterator[exp.Table]:
    cte_names = {cte.alias_or_name.lower() for cte in root.find_all(exp.CTE)}
    for table in root.find_all(exp.Table):
        if _is_relation(table, cte_names):
            yield table


def _written_tables(root: exp.Expr) -> list[exp.Table]:
    written: list[exp.Table] = []
    for node in root.walk():
        if isinstance(node, exp.TruncateTable | exp.Drop):
            written += destructive_tables(node)
        elif isinstance(node, (*WRITES, exp.Delete, exp.Alter, exp.Create)) and node.this is not None:
            target = target_table(node)
            if target is not None:
                written.append(target)
    return written


def tables_touched(root: exp.Expr) -> tuple[tuple[str, ...], tuple[str, ...]]:
    written_ids = {id(t) for t in _written_tables(root)}
    reads: dict[str, None] = {}
    writes: dict[str, None] = {}
    for table in _relations(root):
        (writes if id(table) in written_ids else reads)[table_name(table)] = None
    return tuple(reads), tuple(writes)


def unknown_table_findings(root: exp.Expr, catalog: SchemaCatalog) -> list[Finding]:
    created = target_table(root) if isinstance(root, exp.Create) else None
    dropped = {id(t) for node in root.find_all(exp.Drop) for t in destructive_tables(node)}
    findings: dict[str, Finding] = {}
    for table in _relations(root):
        name = table_name(table)
        if table is created or id(table) in dropped or name in findings:
            continue
        if catalog.find_table(name) is None:
            known = [t.qualified_name for t in catalog.tables]
            close = difflib.get_close_matches(name, known, n=3) or difflib.get_close_matches(
                name.split(".")[-1], [t.name for t in catalog.tables], n=3
            )
            hint = f"did you mean {', '.join(close)}?" if close else "use a table the connection has"
            findings[name] = error(
                "sql.unknown_table", f"table {name} does not exist on connection {catalog.conn_id}", hint
            )
    return list(findings.values())
