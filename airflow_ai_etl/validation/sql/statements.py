"""The statement allowlist per role, applied to every node of the tree, and destructive grants.

A `DELETE` hidden in a CTE is still a `DELETE`: the rules look at every node, not only the top.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlglot import exp

from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.spec.models import DestructiveGrant, DestructiveOperation
from airflow_ai_etl.validation.grants import grant_hint, granted
from airflow_ai_etl.validation.report import Finding
from airflow_ai_etl.validation.sql.findings import error, warning
from airflow_ai_etl.validation.sql.tables import WRITES, destructive_tables, table_name, target_table

Role = Literal["read", "write"]

READ_ROOTS = (exp.Select, exp.SetOperation, exp.Values)
_DESTRUCTIVE: dict[type[exp.Expr], DestructiveOperation] = {
    exp.Delete: DestructiveOperation.DELETE,
    exp.TruncateTable: DestructiveOperation.TRUNCATE,
    exp.Drop: DestructiveOperation.DROP,
    exp.Alter: DestructiveOperation.ALTER,
}
_NEVER = (exp.Grant, exp.Revoke, exp.Copy)
_CREATE_KINDS = ("TABLE", "VIEW")


def _destructive_findings(
    node: exp.Expr,
    operation: DestructiveOperation,
    grants: Sequence[DestructiveGrant],
    catalog: SchemaCatalog | None,
) -> list[Finding]:
    verb = operation.value.upper()
    kind = str(node.args.get("kind") or "").upper()
    if isinstance(node, exp.Drop | exp.Alter) and kind not in ("TABLE", "VIEW"):
        return [error("sql.statement_not_allowed", f"{verb} {kind or 'of this kind'} is not allowed")]
    tables = destructive_tables(node)
    if not tables:
        return [error("sql.statement_not_allowed", f"{verb} without a named table is not allowed")]
    findings = []
    for table in tables:
        name = table_name(table)
        if granted(operation, name, grants, catalog):
            continue
        what = f"{verb} on {name}"
        if isinstance(node, exp.Delete) and not node.args.get("where"):
            what = f"DELETE without WHERE removes every row of {name}"
        findings.append(
            error(
                "sql.destructive",
                f"{what}: destructive statements need an explicit grant",
                grant_hint(operation, name),
            )
        )
    return findings


def statement_findings(
    root: exp.Expr, role: Role, grants: Sequence[DestructiveGrant], catalog: SchemaCatalog | None
) -> list[Finding]:
    """Statement allowlist, applied to every node of the tree."""
    findings: list[Finding] = []
    top = root.unnest() if isinstance(root, exp.Subquery) else root
    for node in root.walk():
        findings += _node_findings(node, node is top, role, grants, catalog)
    if not findings and not _root_allowed(top, role):
        what = type(top).__name__.upper()
        allowed = (
            "SELECT, UNION/INTERSECT/EXCEPT or VALUES"
            if role == "read"
            else "INSERT, MERGE, UPDATE, CREATE TABLE [AS] or CREATE VIEW"
        )
        findings.append(
            error(
                "sql.statement_not_allowed",
                f"a {what} statement is not allowed here; a {role} step runs {allowed}",
            )
        )
    return findings


def _root_allowed(top: exp.Expr, role: Role) -> bool:
    """Whether the statement's top node is on the role's allowlist (nested rules checked apart)."""
    if role == "read":
        return isinstance(top, READ_ROOTS)
    return isinstance(top, (*WRITES, exp.Create, *_DESTRUCTIVE))


def _node_findings(
    node: exp.Expr,
    is_top: bool,
    role: Role,
    grants: Sequence[DestructiveGrant],
    catalog: SchemaCatalog | None,
) -> list[Finding]:
    if isinstance(node, exp.Command):
        keyword = str(node.this).upper()
        return [
            error(
                "sql.unparsed_statement",
                f"the {keyword} statement is not understood by the SQL parser, so it cannot be checked",
                "use a supported statement (see the step kind's allowlist)",
            )
        ]
    if isinstance(node, _NEVER):
        verb = type(node).__name__.upper()
        return [error("sql.statement_not_allowed", f"{verb} statements are never allowed in a spec")]
    if isinstance(node, exp.Select) and node.args.get("into"):
        return [
            error(
                "sql.statement_not_allowed",
                "SELECT ... INTO creates a table",
                "use CREATE TABLE ... AS SELECT in a sql step",
            )
        ]
    operation = _DESTRUCTIVE.get(type(node))
    then = node.args.get("then") if isinstance(node, exp.When) else None
    if isinstance(then, exp.Var) and then.name.upper() == "DELETE":
        # sqlglot keeps MERGE's `THEN DELETE` as a bare keyword, not as a Delete node
        operation = DestructiveOperation.MERGE_DELETE
    if role == "read" and (operation is not None or isinstance(node, (*WRITES, exp.Create))):
        verb = type(node).__name__.upper()
        return [
            error(
                "sql.statement_not_allowed",
                f"a read query must not change data, but it contains {verb}",
                "read with SELECT only; put changes in a sql step",
            )
        ]
    if operation is not None:
        return _destructive_findings(node, operation, grants, catalog)
    if isinstance(node, exp.Create):
        kind = str(node.args.get("kind") or "").upper()
        if not is_top or kind not in _CREATE_KINDS:
            return [
                error("sql.statement_not_allowed", f"CREATE {kind} is not allowed; only CREATE TABLE or VIEW")
            ]
        if not node.args.get("exists") and not node.args.get("replace"):
            return [
                warning(
                    "sql.not_idempotent",
                    f"CREATE {kind} {table_name(target_table(node) or exp.Table())} fails when the "
                    "table already exists, e.g. on the DAG's second run",
                    f"write CREATE {kind} IF NOT EXISTS"
                    + (" or CREATE OR REPLACE VIEW" if kind == "VIEW" else ""),
                )
            ]
    return []
