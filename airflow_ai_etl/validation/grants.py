"""Grants are exact: a `DestructiveGrant` covers one operation on one table, and nothing more.

validation/sql/statements.py refuses DELETE, TRUNCATE, DROP and ALTER without a grant. This module
adds what a grant does not cover by itself (pure functions over a sqlglot tree, the grants and the catalog):

- `CASCADE` reaches every table that references the named one through foreign keys (and those
  referencing them): it is refused unless the grant names each of them for the same operation.
- Replacing an existing object is a class of its own (`replace`): `CREATE OR REPLACE` of an
  object the connection holds, `CREATE TABLE` over an existing table, `INSERT OVERWRITE`.

Finding codes (errors):
- `sql.destructive` - a replacement without a `replace` grant for its table.
- `sql.cascade` - CASCADE that reaches a table the grants do not name (or cannot be checked).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlglot import exp

from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.spec.models import DestructiveGrant, DestructiveOperation
from airflow_ai_etl.validation.report import Finding, Severity
from airflow_ai_etl.validation.schema import same_table


def granted(
    operation: DestructiveOperation,
    table: str,
    grants: Sequence[DestructiveGrant],
    catalog: SchemaCatalog | None,
) -> bool:
    """Whether a grant names exactly this operation on this table."""
    default_schema = catalog.default_schema if catalog else None
    return any(g.operation is operation and same_table(g.table, table, default_schema) for g in grants)


def grant_hint(operation: DestructiveOperation, table: str) -> str:
    return (
        f"if intended, add allow_destructive: [{{operation: {operation.value}, table: {table}}}] to the step"
    )


def grant_scope_findings(
    root: exp.Expr, grants: Sequence[DestructiveGrant], catalog: SchemaCatalog | None
) -> list[Finding]:
    """Findings for CASCADE beyond the grants and for replacements without a `replace` grant."""
    findings: list[Finding] = []
    for node in root.walk():
        if _cascades(node):
            findings += _cascade_findings(node, grants, catalog)
        replaced = _replaced_table(node, catalog)
        if replaced is not None and not granted(DestructiveOperation.REPLACE, replaced, grants, catalog):
            findings.append(
                Finding(
                    severity=Severity.ERROR,
                    code="sql.destructive",
                    message=f"{_replacement(node)} replaces {replaced} and loses what it holds: "
                    "replacing an existing object needs an explicit grant",
                    hint=grant_hint(DestructiveOperation.REPLACE, replaced),
                )
            )
    return findings


def _name(table: exp.Table) -> str:
    return ".".join(part for part in (table.catalog, table.db, table.name) if part).lower()


def _cascades(node: exp.Expr) -> bool:
    if isinstance(node, exp.Drop):
        return bool(node.args.get("cascade"))
    if isinstance(node, exp.TruncateTable):
        return str(node.args.get("option") or "").upper() == "CASCADE"
    return False


def _replacement(node: exp.Expr) -> str:
    if isinstance(node, exp.Insert):
        return "INSERT OVERWRITE"
    kind = str(node.args.get("kind") or "").upper()
    return f"CREATE OR REPLACE {kind}" if node.args.get("replace") else f"CREATE {kind}"


def _replaced_table(node: exp.Expr, catalog: SchemaCatalog | None) -> str | None:
    """The existing table or view a statement would replace, if it replaces one."""
    target = node.this.this if isinstance(node.this, exp.Schema) else node.this
    if not isinstance(target, exp.Table):
        return None
    name = _name(target)
    if isinstance(node, exp.Insert):
        return name if node.args.get("overwrite") else None
    if not isinstance(node, exp.Create) or node.args.get("exists") or catalog is None:
        return None  # IF NOT EXISTS leaves an existing object alone; an unknown schema is not checked
    return name if catalog.find_table(name) is not None else None


def _cascade_findings(
    node: exp.Expr, grants: Sequence[DestructiveGrant], catalog: SchemaCatalog | None
) -> list[Finding]:
    operation = DestructiveOperation.DROP if isinstance(node, exp.Drop) else DestructiveOperation.TRUNCATE
    verb = operation.value.upper()
    tables = node.args.get("tables") or node.expressions or [node.this]
    named = [_name(t) for t in tables if isinstance(t, exp.Table)]
    if catalog is None:
        return [
            Finding(
                severity=Severity.ERROR,
                code="sql.cascade",
                message=f"{verb} ... CASCADE on {', '.join(named)}: the tables it reaches cannot be known "
                "without the connection's schema",
                hint="name each table in its own statement instead of CASCADE",
            )
        ]
    reached = [t for t in _referencing(named, catalog) if not granted(operation, t, grants, catalog)]
    if not reached:
        return []
    return [
        Finding(
            severity=Severity.ERROR,
            code="sql.cascade",
            message=f"{verb} ... CASCADE on {', '.join(named)} also reaches {', '.join(reached)} "
            "(foreign keys), which no grant names",
            hint=grant_hint(operation, reached[0]) + " for every table CASCADE reaches, or drop CASCADE",
        )
    ]


def _referencing(names: Sequence[str], catalog: SchemaCatalog) -> Iterator[str]:
    """Tables that reference any of `names` through foreign keys, transitively (breadth first)."""
    referrers: dict[str, list[str]] = {}
    for table in catalog.tables:
        for key in table.foreign_keys:
            referenced = catalog.find_table(key.ref_table)
            if referenced is not None:
                referrers.setdefault(referenced.qualified_name, []).append(table.qualified_name)
    seen = {t.qualified_name for n in names if (t := catalog.find_table(n)) is not None}
    queue = list(seen)
    while queue:
        for referrer in referrers.get(queue.pop(0), []):
            if referrer not in seen:
                seen.add(referrer)
                queue.append(referrer)
                yield referrer
