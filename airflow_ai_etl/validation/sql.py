"""SQL checks: parse in the connection's dialect, allow only the statements a step may run, and
resolve tables and columns against the connection's catalog.

SQL in a spec may come from an LLM, so it is treated as untrusted: it must parse completely
(sqlglot, error level RAISE), be exactly one statement, and every node of its tree - not only the
top - must be a statement the step's role permits. A `DELETE` hidden in a CTE is still a `DELETE`.

Roles:
- `read` (a transfer's source query): SELECT, UNION / INTERSECT / EXCEPT, VALUES; nothing that
  writes, anywhere in the tree (no data-modifying CTE, no SELECT ... INTO).
- `write` (a `sql` step): INSERT, MERGE, UPDATE, CREATE TABLE [AS], CREATE VIEW. DELETE, TRUNCATE,
  DROP, ALTER and MERGE ... THEN DELETE only where a `DestructiveGrant` names the operation and the
  table; CASCADE and replacing an existing object see grants.py.

Finding codes (all errors unless noted):
- `sql.parse_error` - the text does not parse in the dialect (or is empty).
- `sql.dialect_unknown` (warning) - sqlglot has no such dialect; parsed as generic SQL.
- `sql.multiple_statements` - more than one statement.
- `sql.unparsed_statement` - sqlglot fell back to an opaque command (`exp.Command`): it cannot be
  checked, so it is refused.
- `sql.statement_not_allowed` - a statement the role never permits (GRANT, REVOKE, COPY, SET,
  CREATE INDEX, SELECT ... INTO, any write in a read query, ...).
- `sql.destructive` - DELETE, TRUNCATE, DROP or ALTER on a table without a matching grant.
- `sql.not_idempotent` (warning) - CREATE TABLE / VIEW without IF NOT EXISTS or OR REPLACE fails
  on the second scheduled run.
- `sql.unknown_table` - a table the catalog does not hold (CTE names are not tables).
- `sql.unknown_column` - a column no table in scope has (or not the table it is qualified with).
- `sql.ambiguous_column` - an unqualified column that more than one table in scope has.
- `sql.columns_unchecked` (warning) - sqlglot could not resolve the query's columns; they were
  not checked.
- `quality.condition_invalid` - an expression check's condition is not one boolean expression
  over the table's rows (statements, semicolons, subqueries, aggregates and window functions are
  refused).

Findings from this module carry no step id or field: the caller knows where the SQL came from.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, OptimizeError, ParseError, SchemaError, SqlglotError, TokenError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.resolver import Resolver
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.schema import MappingSchema, Schema
from sqlglot.tokenizer_core import TokenType

from airflow_ai_etl.catalog.cache import per_catalog
from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table
from airflow_ai_etl.spec.models import DestructiveGrant, DestructiveOperation
from airflow_ai_etl.validation.grants import grant_hint, grant_scope_findings, granted
from airflow_ai_etl.validation.readsafety import is_system_relation, read_safety_findings
from airflow_ai_etl.validation.report import Finding, Severity
from airflow_ai_etl.validation.schema import extension_of, has_columns

Role = Literal["read", "write"]

_READ_ROOTS = (exp.Select, exp.SetOperation, exp.Values)
_WRITES = (exp.Insert, exp.Update, exp.Merge)
_DESTRUCTIVE: dict[type[exp.Expr], DestructiveOperation] = {
    exp.Delete: DestructiveOperation.DELETE,
    exp.TruncateTable: DestructiveOperation.TRUNCATE,
    exp.Drop: DestructiveOperation.DROP,
    exp.Alter: DestructiveOperation.ALTER,
}
_NEVER = (exp.Grant, exp.Revoke, exp.Copy)
_CREATE_KINDS = ("TABLE", "VIEW")


@dataclass(frozen=True)
class SqlAnalysis:
    """Everything validation learns from one SQL text."""

    findings: list[Finding]
    #: Tables read and written, as written in the SQL (`schema.table` or `table`, lower-case).
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    #: The table or view a CREATE statement makes (columns empty when they cannot be known).
    created: Table | None = None
    #: A query's output columns with types in the dialect ("" = unknown); None when not known.
    output: list[Column] | None = None


def check_sql(
    sql: str,
    *,
    dialect: str,
    role: Role,
    grants: Sequence[DestructiveGrant] = (),
    catalog: SchemaCatalog | None = None,
) -> list[Finding]:
    """Findings for one SQL text in a step of `role` (empty list: the SQL is acceptable).

    Without a catalog only the syntax and statement rules are checked.
    """
    return analyze_sql(sql, dialect=dialect, role=role, grants=grants, catalog=catalog).findings


def analyze_sql(
    sql: str,
    *,
    dialect: str,
    role: Role,
    grants: Sequence[DestructiveGrant] = (),
    catalog: SchemaCatalog | None = None,
) -> SqlAnalysis:
    """check_sql's findings plus what validation needs next (tables touched, output, created table)."""
    read_dialect, findings = _resolve_dialect(dialect)
    statement, parse_findings = _parse_one(sql, read_dialect)
    findings += parse_findings
    if statement is None:
        return SqlAnalysis(findings)
    findings += _statement_findings(statement, role, grants, catalog)
    findings += read_safety_findings(statement, read_dialect, catalog)
    if role == "write":
        findings += grant_scope_findings(statement, grants, catalog)
    reads, writes = _tables_touched(statement)
    if any(f.severity is Severity.ERROR for f in findings) or catalog is None:
        # A refused statement is not analysed further: its tree is not trusted.
        return SqlAnalysis(findings, reads, writes, created=_created_table(statement, None, read_dialect))
    schema_findings, output, created = _schema_analysis(statement, catalog, read_dialect)
    return SqlAnalysis(findings + schema_findings, reads, writes, created=created, output=output)


def check_condition(
    condition: str, *, table: str, dialect: str, catalog: SchemaCatalog | None = None
) -> list[Finding]:
    """Findings for a quality check's row condition (e.g. `amount >= 0`) over `table`."""
    read_dialect, findings = _resolve_dialect(dialect)

    def invalid(message: str) -> list[Finding]:
        return [
            *findings,
            _error(
                "quality.condition_invalid",
                message,
                "write one boolean expression over the table's columns, e.g. 'amount >= 0'",
            ),
        ]

    try:
        tokens = sqlglot.tokenize(condition, read=read_dialect)
        if any(token.token_type is TokenType.SEMICOLON for token in tokens):
            return invalid(f"condition {condition!r} contains ';': it must be one expression")
        parsed = sqlglot.parse_one(condition, read=read_dialect, into=exp.Condition)
    except (ParseError, TokenError) as exc:
        return invalid(f"condition {condition!r} is not one SQL expression: {_parse_message(exc)}")
    for node in parsed.walk():
        if isinstance(node, exp.Query | exp.Subquery | exp.DDL | exp.DML | exp.Command):
            return invalid(f"condition {condition!r} contains a subquery or statement")
        if isinstance(node, exp.AggFunc | exp.Window):
            return invalid(
                f"condition {condition!r} uses an aggregate or window function; it is checked row by row"
            )
    unsafe = read_safety_findings(parsed, read_dialect, catalog)
    if unsafe:
        return findings + unsafe
    if catalog is None:
        return findings
    query = exp.select("1").from_(exp.to_table(table, dialect=read_dialect)).where(parsed)
    column_findings, qualified = _column_findings(query, catalog, read_dialect)
    findings += column_findings
    if qualified is None or column_findings:
        return findings
    try:
        typed = annotate_types(qualified, schema=_schema(catalog, read_dialect), dialect=read_dialect)
    except SqlglotError:
        return findings  # the type is not known; the database will say at run time
    predicate = typed.args["where"].this
    if predicate.type is not None and not predicate.type.is_type(
        exp.DType.BOOLEAN, exp.DType.UNKNOWN, exp.DType.NULL
    ):
        return invalid(f"condition {condition!r} is of type {predicate.type.sql(read_dialect)}, not boolean")
    return findings


# --- parsing -------------------------------------------------------------------------------------


#: sqlglot's error for a relation the query names (`x.*`, a USING side) that no scope provides.
_UNKNOWN_SOURCE = re.compile(r"Unknown table: (\S+)")


def _error(code: str, message: str, hint: str | None = None) -> Finding:
    return Finding(severity=Severity.ERROR, code=code, message=message, hint=hint)


def _warning(code: str, message: str, hint: str | None = None) -> Finding:
    return Finding(severity=Severity.WARNING, code=code, message=message, hint=hint)


def _resolve_dialect(dialect: str) -> tuple[str | None, list[Finding]]:
    if not dialect:
        return None, []
    try:
        Dialect.get_or_raise(dialect)
    except ValueError:
        return None, [
            _warning("sql.dialect_unknown", f"sqlglot knows no dialect {dialect!r}; read as generic SQL")
        ]
    return dialect, []


def _parse_message(exc: SqlglotError) -> str:
    errors = getattr(exc, "errors", None)
    if not errors:
        return str(exc).splitlines()[0]
    first = errors[0]
    text = str(first.get("description") or exc)
    if first.get("line"):
        text += f" at line {first['line']}, column {first['col']}"
    if first.get("highlight"):
        text += f" near {first['highlight']!r}"
    return text


def _parse_one(sql: str, dialect: str | None) -> tuple[exp.Expr | None, list[Finding]]:
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect, error_level=ErrorLevel.RAISE) if s]
    except (ParseError, TokenError) as exc:
        message = f"SQL does not parse as {dialect or 'generic SQL'}: {_parse_message(exc)}"
        return None, [_error("sql.parse_error", message, "fix the syntax for the connection's database")]
    if not statements:
        return None, [_error("sql.parse_error", "SQL is empty")]
    if len(statements) > 1:
        message = f"SQL holds {len(statements)} statements; a step runs exactly one"
        return None, [_error("sql.multiple_statements", message, "split it into one step per statement")]
    return statements[0], []


# --- statement rules -----------------------------------------------------------------------------


def _table_name(table: exp.Table) -> str:
    return ".".join(part for part in (table.catalog, table.db, table.name) if part).lower()


def _target_table(node: exp.Expr) -> exp.Table | None:
    """The table a DML/DDL statement writes (INSERT's target may be wrapped in a column Schema)."""
    target = node.this
    if isinstance(target, exp.Schema):
        target = target.this
    if isinstance(target, exp.Table):
        return target
    merge = node.find_ancestor(exp.Merge)  # `WHEN MATCHED THEN DELETE` acts on MERGE's target
    return _target_table(merge) if merge is not None else None


def _destructive_tables(node: exp.Expr) -> list[exp.Table]:
    if isinstance(node, exp.TruncateTable):
        return [t for t in node.expressions if isinstance(t, exp.Table)]
    if isinstance(node, exp.Drop):
        tables = node.args.get("tables") or [node.this]
        return [t for t in tables if isinstance(t, exp.Table)]
    target = _target_table(node)
    return [target] if target is not None else []


def _destructive_findings(
    node: exp.Expr,
    operation: DestructiveOperation,
    grants: Sequence[DestructiveGrant],
    catalog: SchemaCatalog | None,
) -> list[Finding]:
    verb = operation.value.upper()
    kind = str(node.args.get("kind") or "").upper()
    if isinstance(node, exp.Drop | exp.Alter) and kind not in ("TABLE", "VIEW"):
        return [_error("sql.statement_not_allowed", f"{verb} {kind or 'of this kind'} is not allowed")]
    tables = _destructive_tables(node)
    if not tables:
        return [_error("sql.statement_not_allowed", f"{verb} without a named table is not allowed")]
    findings = []
    for table in tables:
        name = _table_name(table)
        if granted(operation, name, grants, catalog):
            continue
        what = f"{verb} on {name}"
        if isinstance(node, exp.Delete) and not node.args.get("where"):
            what = f"DELETE without WHERE removes every row of {name}"
        findings.append(
            _error(
                "sql.destructive",
                f"{what}: destructive statements need an explicit grant",
                grant_hint(operation, name),
            )
        )
    return findings


def _statement_findings(
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
            _error(
                "sql.statement_not_allowed",
                f"a {what} statement is not allowed here; a {role} step runs {allowed}",
            )
        )
    return findings


def _root_allowed(top: exp.Expr, role: Role) -> bool:
    """Whether the statement's top node is on the role's allowlist (nested rules checked apart)."""
    if role == "read":
        return isinstance(top, _READ_ROOTS)
    return isinstance(top, (*_WRITES, exp.Create, *_DESTRUCTIVE))


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
            _error(
                "sql.unparsed_statement",
                f"the {keyword} statement is not understood by the SQL parser, so it cannot be checked",
                "use a supported statement (see the step kind's allowlist)",
            )
        ]
    if isinstance(node, _NEVER):
        verb = type(node).__name__.upper()
        return [_error("sql.statement_not_allowed", f"{verb} statements are never allowed in a spec")]
    if isinstance(node, exp.Select) and node.args.get("into"):
        return [
            _error(
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
    if role == "read" and (operation is not None or isinstance(node, (*_WRITES, exp.Create))):
        verb = type(node).__name__.upper()
        return [
            _error(
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
                _error(
                    "sql.statement_not_allowed", f"CREATE {kind} is not allowed; only CREATE TABLE or VIEW"
                )
            ]
        if not node.args.get("exists") and not node.args.get("replace"):
            return [
                _warning(
                    "sql.not_idempotent",
                    f"CREATE {kind} {_table_name(_target_table(node) or exp.Table())} fails when the "
                    "table already exists, e.g. on the DAG's second run",
                    f"write CREATE {kind} IF NOT EXISTS"
                    + (" or CREATE OR REPLACE VIEW" if kind == "VIEW" else ""),
                )
            ]
    return []


# --- tables --------------------------------------------------------------------------------------


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
            written += _destructive_tables(node)
        elif isinstance(node, (*_WRITES, exp.Delete, exp.Alter, exp.Create)) and node.this is not None:
            target = _target_table(node)
            if target is not None:
                written.append(target)
    return written


def _tables_touched(root: exp.Expr) -> tuple[tuple[str, ...], tuple[str, ...]]:
    written_ids = {id(t) for t in _written_tables(root)}
    reads: dict[str, None] = {}
    writes: dict[str, None] = {}
    for table in _relations(root):
        (writes if id(table) in written_ids else reads)[_table_name(table)] = None
    return tuple(reads), tuple(writes)


def _unknown_table_findings(root: exp.Expr, catalog: SchemaCatalog) -> list[Finding]:
    created = _target_table(root) if isinstance(root, exp.Create) else None
    dropped = {id(t) for node in root.find_all(exp.Drop) for t in _destructive_tables(node)}
    findings: dict[str, Finding] = {}
    for table in _relations(root):
        name = _table_name(table)
        if table is created or id(table) in dropped or name in findings:
            continue
        if catalog.find_table(name) is None:
            known = [t.qualified_name for t in catalog.tables]
            close = difflib.get_close_matches(name, known, n=3) or difflib.get_close_matches(
                name.split(".")[-1], [t.name for t in catalog.tables], n=3
            )
            hint = f"did you mean {', '.join(close)}?" if close else "use a table the connection has"
            findings[name] = _error(
                "sql.unknown_table", f"table {name} does not exist on connection {catalog.conn_id}", hint
            )
    return list(findings.values())


# --- columns -------------------------------------------------------------------------------------


@per_catalog
def _schemas_by_dialect(catalog: SchemaCatalog) -> dict[str | None, Schema]:
    return {}


def _schema(catalog: SchemaCatalog, dialect: str | None) -> Schema:
    """The catalog as sqlglot's schema, built once per catalog and dialect (a spec's steps and
    every repair round check against the same catalog; building it costs ~10 ms per 1,000 tables).
    A catalog extended by tables earlier steps create extends its original's schema, so a spec
    whose steps create tables costs linear, not quadratic, time. Tables with unknown columns are
    left out (see schema.py)."""
    cached = _schemas_by_dialect(catalog)
    if dialect in cached:
        return cached[dialect]
    origin = extension_of(catalog)
    if origin is not None:
        try:
            cached[dialect] = _extended_schema(_schema(origin[0], dialect), origin[1], dialect)
            return cached[dialect]
        except SchemaError:
            pass  # nesting levels differ (a schema-qualified table in a schema-less catalog): rebuild
    nested: dict[str, object] = {}
    for table in catalog.tables:
        if not has_columns(table):
            continue
        columns = _column_types(table)
        if table.schema_name:
            schema_tables = nested.setdefault(table.schema_name, {})
            assert isinstance(schema_tables, dict)
            schema_tables[table.name] = columns
        else:
            nested[table.name] = columns
    cached[dialect] = MappingSchema(nested, dialect=dialect, normalize=True)
    return cached[dialect]


def _column_types(table: Table) -> dict[str, str]:
    return {c.name: c.type or "UNKNOWN" for c in table.columns}


def _extended_schema(base: Schema, tables: Iterable[Table], dialect: str | None) -> MappingSchema:
    """`base` plus `tables`, leaving `base` as it was; its names are normalised already."""
    assert isinstance(base, MappingSchema)
    mapping = {key: dict(value) if isinstance(value, dict) else value for key, value in base.mapping.items()}
    schema = MappingSchema(mapping, dialect=dialect, normalize=False)
    schema.normalize = True  # names in queries (and in the tables added below) are still normalised
    for table in tables:
        if has_columns(table):
            schema.add_table(
                exp.table_(table.name, db=table.schema_name), _column_types(table), dialect=dialect
            )
    return schema


def _source_label(source: exp.Expr | Scope, alias: str) -> str:
    return _table_name(source) if isinstance(source, exp.Table) else alias


def _scope_findings(scope: Scope, schema: Schema) -> Iterator[Finding]:
    if not isinstance(scope.expression, exp.Select):
        return
    resolver = Resolver(scope, schema)
    columns: dict[str, set[str] | None] = {}
    for alias in scope.sources:
        try:
            names = {n.lower() for n in resolver.get_source_columns(alias)}
        except OptimizeError:
            names = set()
        columns[alias] = names if names and "*" not in names else None
    opaque = any(names is None for names in columns.values())
    labels = {alias: _source_label(source, alias) for alias, source in scope.sources.items()}
    in_scope = ", ".join(sorted(set(labels.values()))) or "no table"
    for column in scope.columns:
        name, qualifier = column.name.lower(), column.text("table")
        if qualifier and qualifier in columns:
            source_columns = columns[qualifier]
            if source_columns is not None and name not in source_columns:
                yield _unknown_column(name, labels[qualifier], sorted(source_columns))
        elif qualifier:
            if not scope.is_correlated_subquery:
                yield _error(
                    "sql.unknown_column",
                    f"column {qualifier}.{name} refers to {qualifier}, which is not in the FROM clause",
                )
        else:
            owners = [alias for alias, names in columns.items() if names and name in names]
            if len(owners) > 1:
                yield _error(
                    "sql.ambiguous_column",
                    f"column {name} is ambiguous: {', '.join(labels[o] for o in owners)} all have it",
                    f"qualify it, e.g. {owners[0]}.{name}",
                )
            elif not owners and not opaque:
                known = sorted(set().union(*(n for n in columns.values() if n)))
                yield _unknown_column(name, in_scope, known)


def _unknown_column(name: str, where: str, known: Iterable[str]) -> Finding:
    close = difflib.get_close_matches(name, list(known), n=3)
    hint = f"did you mean {', '.join(close)}?" if close else None
    return _error("sql.unknown_column", f"column {name} does not exist in {where}", hint)


def _column_findings(
    query: exp.Expr, catalog: SchemaCatalog, dialect: str | None
) -> tuple[list[Finding], exp.Expr | None]:
    """Unknown and ambiguous columns of a query, and the query qualified (None when sqlglot failed)."""
    schema = _schema(catalog, dialect)
    try:
        qualified = qualify(
            query.copy(),
            dialect=dialect,
            schema=schema,
            db=catalog.default_schema,
            allow_partial_qualification=True,  # unknown qualified columns: reported below, all of them
            validate_qualify_columns=False,
            identify=False,
        )
        findings = [f for scope in traverse_scope(qualified) for f in _scope_findings(scope, schema)]
    except SqlglotError as exc:
        first_line = str(exc).splitlines()[0]
        unknown = _UNKNOWN_SOURCE.fullmatch(first_line)
        if unknown:  # e.g. `x.*` with no x in scope: like `x.id`, a query that cannot run
            message = f"the query refers to {unknown[1]}, which is not in the FROM clause"
            return [_error("sql.unknown_column", message)], None
        message = f"the query's columns could not be resolved: {first_line}"
        return [_warning("sql.columns_unchecked", message)], None
    unique = {(f.code, f.message): f for f in findings}
    return list(unique.values()), qualified


def _target_column_findings(node: exp.Expr, catalog: SchemaCatalog) -> list[Finding]:
    """Columns an INSERT, UPDATE or MERGE assigns must exist in its target table."""
    target = _target_table(node)
    table = catalog.find_table(_table_name(target)) if target is not None else None
    if table is None or not has_columns(table):
        return []
    assigned: list[exp.Expr] = []
    for part in node.walk():
        if isinstance(part, exp.Insert):
            columns = part.this.expressions if isinstance(part.this, exp.Schema | exp.Tuple) else []
            assigned += columns
        elif isinstance(part, exp.Update):
            assigned += [eq.this for eq in part.expressions if isinstance(eq, exp.EQ)]
    known = [c.name.lower() for c in table.columns]
    findings = {}
    for column in assigned:
        name = column.name.lower()
        if name and name not in known and name not in findings:
            findings[name] = _unknown_column(name, table.qualified_name, known)
    return list(findings.values())


def _row_query(node: exp.Update | exp.Delete) -> exp.Select:
    """UPDATE/DELETE as the SELECT that reads the same rows, so scopes resolve its columns."""
    target = _target_table(node)
    assert target is not None  # parsed UPDATE/DELETE always name a table
    values = [eq.expression.copy() for eq in node.expressions if isinstance(eq, exp.EQ)]
    query = exp.select(*(values or [exp.Literal.number(1)])).from_(target.copy())
    extra = node.args.get("from_") or node.args.get("using")
    for source in [extra.this] if isinstance(extra, exp.From) else (extra or []):
        query = query.join(source.copy())
    where = node.args.get("where")
    return query.where(where.this.copy()) if where is not None else query


def _output_columns(query: exp.Expr, schema: Schema, dialect: str | None) -> list[Column] | None:
    if not isinstance(query, exp.Query):
        return None
    try:
        typed = annotate_types(query, schema=schema, dialect=dialect)
    except SqlglotError:
        return None
    output = []
    for projection in typed.selects:
        if isinstance(projection, exp.Star) or isinstance(projection.this, exp.Star):
            return None  # a star sqlglot could not expand: the columns are not known
        data_type = projection.type
        known = data_type is not None and not data_type.is_type(exp.DType.UNKNOWN, exp.DType.NULL)
        output.append(
            Column(name=projection.alias_or_name, type=data_type.sql(dialect) if known and data_type else "")
        )
    return output


def _created_table(root: exp.Expr, output: list[Column] | None, dialect: str | None) -> Table | None:
    if not isinstance(root, exp.Create):
        return None
    target = _target_table(root)
    if target is None:
        return None
    kind = str(root.args.get("kind") or "").lower()
    columns = output or []
    if isinstance(root.this, exp.Schema):
        columns = [
            Column(
                name=d.name,
                type=d.kind.sql(dialect) if isinstance(d.kind, exp.DataType) else "",
                nullable=not any(isinstance(c.kind, exp.NotNullColumnConstraint) for c in d.constraints),
            )
            for d in root.this.expressions
            if isinstance(d, exp.ColumnDef)
        ]
    return Table(name=target.name, schema_name=target.db or None, kind=kind or "table", columns=columns)


def _schema_analysis(
    root: exp.Expr, catalog: SchemaCatalog, dialect: str | None
) -> tuple[list[Finding], list[Column] | None, Table | None]:
    findings = _unknown_table_findings(root, catalog)
    if findings:
        return findings, None, _created_table(root, None, dialect)
    findings = _target_column_findings(root, catalog)
    query: exp.Expr = root
    if isinstance(root, exp.Update | exp.Delete):
        query = _row_query(root)
    elif isinstance(root, exp.Create) and isinstance(root.expression, exp.Query):
        query = root.expression
    column_findings, qualified = _column_findings(query, catalog, dialect)
    findings += column_findings
    output = None
    if qualified is not None and not column_findings and isinstance(root, (*_READ_ROOTS, exp.Create)):
        output = _output_columns(qualified, _schema(catalog, dialect), dialect)
    return findings, output, _created_table(root, output, dialect)
