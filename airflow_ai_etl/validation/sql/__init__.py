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
- `sql.too_large` - a text over 256 KiB, refused unparsed; `sql.too_complex` - nesting too deep
  to parse (error), or a statement too large for the column and type rules (warning).
- Semantic rules, with a catalog (rules/, one per module): `sql.unknown_function`,
  `sql.type_mismatch`, `sql.unknown_type`, `sql.identifier_case`, `sql.misplaced_aggregate`,
  `sql.misplaced_window`, `sql.ungrouped_column`, `sql.duplicate_alias`,
  `sql.set_operation_columns`, `sql.join_order`; see each rule's module. A rule that crashes on
  the statement fails closed: `sql.rule_failed` names it (`sql.too_complex` when the statement is
  nested too deeply for it).
- `quality.condition_invalid` - an expression check's condition is not one boolean expression
  over the table's rows (statements, semicolons, subqueries, aggregates and window functions are
  refused).

One job per module: parsing.py (text to one statement), statements.py (the allowlist), tables.py,
columns.py, output.py, rules/ (the semantic rules) with what they stand on: functions.py (the
engines' function catalogues), calls.py (calls as written), inference.py and overloads.py
(PostgreSQL's types and overload resolution), aggregates.py; analysis.py composes them. Findings
carry no step id or field: the caller knows where the SQL came from.
"""

from airflow_ai_etl.validation.sql.analysis import SqlAnalysis, analyze_sql, check_condition, check_sql
from airflow_ai_etl.validation.sql.statements import Role

__all__ = ["Role", "SqlAnalysis", "analyze_sql", "check_condition", "check_sql"]
