"""check_sql: parsing, the statement allowlist per role, destructive grants, tables and columns."""

from __future__ import annotations

import pytest

from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.spec import DestructiveGrant
from airflow_ai_etl.validation import Severity, check_condition, check_sql
from airflow_ai_etl.validation.sql import analyze_sql


def codes(sql: str, role: str = "read", catalog: SchemaCatalog | None = None, **kwargs: object) -> list[str]:
    dialect = catalog.dialect if catalog else "postgres"
    return [f.code for f in check_sql(sql, dialect=dialect, role=role, catalog=catalog, **kwargs)]  # type: ignore[arg-type]


# --- syntax ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("sql", ["SELEC id FROM orders", "SELECT id FROM orders WHERE (", "", "  ;  "])
def test_text_that_does_not_parse_is_a_parse_error(sql: str) -> None:
    assert codes(sql) == ["sql.parse_error"]


def test_parse_error_names_the_position() -> None:
    (finding,) = check_sql("SELECT id FROM orders WHERE", dialect="postgres", role="read")
    assert finding.severity is Severity.ERROR
    assert finding.step_id is None and finding.field is None
    assert "line 1" in finding.message


def test_dialect_decides_what_parses() -> None:
    assert [f.code for f in check_sql("SELECT TOP 1 id FROM orders", dialect="tsql", role="read")] == []
    assert codes("SELECT TOP 1 id FROM orders") == ["sql.parse_error"]  # not PostgreSQL


def test_two_statements_are_refused_one_with_semicolon_is_fine() -> None:
    assert codes("SELECT 1; SELECT 2") == ["sql.multiple_statements"]
    assert codes("SELECT 1;") == []


def test_unparsed_statement_is_refused() -> None:
    assert codes("VACUUM orders") == ["sql.unparsed_statement"]
    assert codes("VACUUM orders", role="write") == ["sql.unparsed_statement"]


def test_unknown_dialect_is_a_warning_and_generic_sql_still_checked() -> None:
    findings = check_sql("SELECT 1", dialect="no_such_db", role="read")
    assert [(f.code, f.severity) for f in findings] == [("sql.dialect_unknown", Severity.WARNING)]


# --- statement allowlist ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id FROM orders",
        "SELECT 1 UNION SELECT 2",
        "SELECT 1 INTERSECT SELECT 1",
        "SELECT 1 EXCEPT SELECT 2",
        "VALUES (1, 'a')",
        "WITH recent AS (SELECT id FROM orders) SELECT id FROM recent",
    ],
)
def test_read_role_allows_queries(sql: str) -> None:
    assert codes(sql) == []


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO orders (id) VALUES (1)",
        "UPDATE orders SET amount = 0",
        "CREATE TABLE t (id int)",
        "WITH d AS (DELETE FROM orders RETURNING *) SELECT * FROM d",
        "WITH i AS (INSERT INTO orders (id) VALUES (1) RETURNING id) SELECT id FROM i",
        "WITH u AS (UPDATE orders SET amount = 0 RETURNING id) SELECT id FROM u",
        "SELECT * INTO copy_of_orders FROM orders",
        "DROP TABLE orders",
        "SET search_path = other",
    ],
)
def test_read_role_refuses_anything_that_writes_anywhere_in_the_tree(sql: str) -> None:
    assert codes(sql) == ["sql.statement_not_allowed"]


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO orders (id) SELECT id FROM customers",
        "UPDATE orders SET status = 'done' WHERE id = 1",
        "MERGE INTO orders o USING customers c ON o.id = c.id WHEN MATCHED THEN UPDATE SET status = 'x'",
        "CREATE TABLE IF NOT EXISTS t (id int)",
        "CREATE TABLE IF NOT EXISTS t AS SELECT id FROM orders",
        "CREATE OR REPLACE VIEW v AS SELECT id FROM orders",
        "WITH c AS (SELECT id FROM customers) INSERT INTO orders (id) SELECT id FROM c",
    ],
)
def test_write_role_allows_its_statements(sql: str) -> None:
    assert codes(sql, role="write") == []


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id FROM orders",
        "GRANT SELECT ON orders TO bob",
        "REVOKE SELECT ON orders FROM bob",
        "COPY orders TO PROGRAM 'curl evil'",
        "COPY orders FROM '/etc/passwd'",
        "CREATE INDEX ix ON orders (id)",
        "CREATE SCHEMA s",
        "CREATE TABLE IF NOT EXISTS t AS SELECT * INTO x FROM orders",
        "DROP SCHEMA public",
    ],
)
def test_write_role_refuses_other_statements(sql: str) -> None:
    assert "sql.statement_not_allowed" in codes(sql, role="write")


def test_grants_do_not_open_never_allowed_statements() -> None:
    grants = [DestructiveGrant(operation="drop", table="public")]
    assert codes("DROP SCHEMA public", role="write", grants=grants) == ["sql.statement_not_allowed"]
    assert codes("GRANT SELECT ON orders TO bob", role="write", grants=grants) == [
        "sql.statement_not_allowed"
    ]


# --- destructive statements -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "operation", "table"),
    [
        ("DELETE FROM orders", "delete", "orders"),
        ("DELETE FROM orders WHERE id < 10", "delete", "orders"),
        ("TRUNCATE orders", "truncate", "orders"),
        ("DROP TABLE IF EXISTS orders", "drop", "orders"),
        ("DROP VIEW order_view", "drop", "order_view"),
        ("ALTER TABLE orders ADD COLUMN x int", "alter", "orders"),
        (
            "MERGE INTO orders o USING customers c ON o.id = c.id WHEN MATCHED THEN DELETE",
            "merge_delete",
            "orders",
        ),
        (
            "WITH gone AS (DELETE FROM orders WHERE id < 0 RETURNING id) INSERT INTO customers (id) "
            "SELECT id FROM gone",
            "delete",
            "orders",
        ),
    ],
)
def test_destructive_needs_a_grant_for_that_operation_and_table(sql: str, operation: str, table: str) -> None:
    findings = check_sql(sql, dialect="postgres", role="write")
    assert [f.code for f in findings] == ["sql.destructive"]
    assert table in findings[0].message
    assert operation in (findings[0].hint or "")

    granted = [DestructiveGrant(operation=operation, table=table)]  # type: ignore[arg-type]
    assert codes(sql, role="write", grants=granted) == []


def test_grant_for_another_table_or_operation_does_not_count() -> None:
    other_table = [DestructiveGrant(operation="truncate", table="customers")]
    other_operation = [DestructiveGrant(operation="delete", table="orders")]
    assert codes("TRUNCATE orders", role="write", grants=other_table) == ["sql.destructive"]
    assert codes("TRUNCATE orders", role="write", grants=other_operation) == ["sql.destructive"]


def test_truncate_of_two_tables_needs_both_grants() -> None:
    one = [DestructiveGrant(operation="truncate", table="orders")]
    findings = check_sql("TRUNCATE orders, customers", dialect="postgres", role="write", grants=one)
    assert [f.code for f in findings] == ["sql.destructive"]
    assert "customers" in findings[0].message


def test_grant_matches_qualified_and_unqualified_names_in_the_default_schema(shop: SchemaCatalog) -> None:
    grant = [DestructiveGrant(operation="truncate", table="public.orders")]
    assert codes("TRUNCATE orders", role="write", grants=grant, catalog=shop) == []
    grant = [DestructiveGrant(operation="truncate", table="orders")]
    assert codes("TRUNCATE public.orders", role="write", grants=grant, catalog=shop) == []
    assert codes("TRUNCATE other.orders", role="write", grants=grant, catalog=shop) == ["sql.destructive"]


def test_delete_without_where_says_so() -> None:
    (finding,) = check_sql("DELETE FROM orders", dialect="postgres", role="write")
    assert "WHERE" in finding.message and "orders" in finding.message


def test_create_without_if_not_exists_is_a_warning() -> None:
    (finding,) = check_sql("CREATE TABLE t (id int)", dialect="postgres", role="write")
    assert (finding.code, finding.severity) == ("sql.not_idempotent", Severity.WARNING)
    assert codes("CREATE TABLE IF NOT EXISTS t (id int)", role="write") == []


# --- tables ---------------------------------------------------------------------------------------


def test_unknown_table_is_named(shop: SchemaCatalog) -> None:
    findings = check_sql("SELECT id FROM order_items", dialect="postgres", role="read", catalog=shop)
    assert [f.code for f in findings] == ["sql.unknown_table"]
    assert "order_items" in findings[0].message


def test_known_tables_qualified_or_not(shop: SchemaCatalog) -> None:
    assert (
        codes("SELECT o.id FROM public.orders o JOIN customers c ON c.id = o.customer_id", catalog=shop) == []
    )
    assert codes("SELECT id FROM other.orders", catalog=shop) == ["sql.unknown_table"]


def test_cte_names_are_not_tables_but_unknown_tables_inside_ctes_are(shop: SchemaCatalog) -> None:
    assert codes("WITH recent AS (SELECT id FROM orders) SELECT id FROM recent", catalog=shop) == []
    assert codes("WITH recent AS (SELECT id FROM nope) SELECT id FROM recent", catalog=shop) == [
        "sql.unknown_table"
    ]


def test_unknown_table_hint_suggests_close_names(shop: SchemaCatalog) -> None:
    (finding,) = check_sql("SELECT 1 FROM order", dialect="postgres", role="read", catalog=shop)
    assert "orders" in (finding.hint or "")


def test_write_targets_must_exist_unless_created(shop: SchemaCatalog) -> None:
    assert codes("INSERT INTO archive (id) SELECT id FROM orders", role="write", catalog=shop) == [
        "sql.unknown_table"
    ]
    assert (
        codes("CREATE TABLE IF NOT EXISTS archive AS SELECT id FROM orders", role="write", catalog=shop) == []
    )


def test_table_functions_and_system_relations_are_not_catalog_tables(shop: SchemaCatalog) -> None:
    assert codes("SELECT x FROM generate_series(1, 3) AS g(x)", catalog=shop) == []
    assert codes("SELECT table_name FROM information_schema.tables", catalog=shop) == []
    assert codes("SELECT relname FROM pg_class", catalog=shop) == []


def test_sqlite_tables(lite: SchemaCatalog) -> None:
    assert codes("SELECT id, kind FROM events", catalog=lite) == []
    assert codes("SELECT id FROM event", catalog=lite) == ["sql.unknown_table"]


# --- columns --------------------------------------------------------------------------------------


def test_unknown_column_is_named_with_its_table(shop: SchemaCatalog) -> None:
    findings = check_sql("SELECT id, totl FROM orders", dialect="postgres", role="read", catalog=shop)
    assert [f.code for f in findings] == ["sql.unknown_column"]
    assert "totl" in findings[0].message and "orders" in findings[0].message


def test_every_unknown_qualified_column_is_reported(shop: SchemaCatalog) -> None:
    findings = check_sql("SELECT o.idx, o.zz FROM orders o", dialect="postgres", role="read", catalog=shop)
    assert [f.code for f in findings] == ["sql.unknown_column", "sql.unknown_column"]
    assert {"idx", "zz"} == {f.message.split()[1] for f in findings}


@pytest.mark.parametrize("sql", ["SELECT x.id FROM orders", "SELECT x.* FROM orders"])
def test_a_qualifier_that_is_not_in_the_from_clause_is_an_error(shop: SchemaCatalog, sql: str) -> None:
    findings = check_sql(sql, dialect="postgres", role="read", catalog=shop)
    assert [(f.code, f.severity) for f in findings] == [("sql.unknown_column", Severity.ERROR)]
    assert "x" in findings[0].message and "FROM clause" in findings[0].message


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT o.* FROM orders AS o",
        "SELECT orders.* FROM public.orders",
        "SELECT g.* FROM generate_series(1, 3) AS g",
        "SELECT * FROM orders AS o WHERE EXISTS (SELECT o.* FROM customers AS c)",
    ],
)
def test_stars_of_relations_in_scope_are_fine(shop: SchemaCatalog, sql: str) -> None:
    assert codes(sql, catalog=shop) == []


def test_ambiguous_column(shop: SchemaCatalog) -> None:
    sql = "SELECT id FROM orders o JOIN customers c ON c.id = o.customer_id"
    findings = check_sql(sql, dialect="postgres", role="read", catalog=shop)
    assert [f.code for f in findings] == ["sql.ambiguous_column"]
    assert "id" in findings[0].message
    assert codes(sql.replace("SELECT id", "SELECT o.id, name"), catalog=shop) == []


def test_columns_of_ctes_and_subqueries(shop: SchemaCatalog) -> None:
    assert codes("WITH x AS (SELECT id FROM orders) SELECT id, zzz FROM x", catalog=shop) == [
        "sql.unknown_column"
    ]
    assert codes("SELECT s.id FROM (SELECT id FROM orders) s", catalog=shop) == []
    assert codes("SELECT s.amount FROM (SELECT id FROM orders) s", catalog=shop) == ["sql.unknown_column"]


def test_correlated_subquery_columns(shop: SchemaCatalog) -> None:
    good = "SELECT id FROM orders WHERE EXISTS (SELECT 1 FROM customers c WHERE c.id = orders.customer_id)"
    bad = "SELECT id FROM orders WHERE EXISTS (SELECT 1 FROM customers c WHERE c.id = orders.client_id)"
    assert codes(good, catalog=shop) == []
    assert codes(bad, catalog=shop) == ["sql.unknown_column"]


def test_aliases_in_order_by_and_group_by_position_are_not_columns(shop: SchemaCatalog) -> None:
    assert codes("SELECT amount AS a FROM orders ORDER BY a", catalog=shop) == []
    assert codes("SELECT customer_id, sum(amount) AS s FROM orders GROUP BY 1", catalog=shop) == []


def test_tables_with_unknown_columns_are_not_column_checked(shop: SchemaCatalog) -> None:
    assert codes("SELECT anything FROM opaque_view", catalog=shop) == []


def test_columns_sqlglot_cannot_resolve_are_a_warning_not_silence(shop: SchemaCatalog) -> None:
    findings = check_sql(
        "SELECT o.id FROM orders AS o JOIN customers AS c USING (bogus)",
        dialect="postgres",
        role="read",
        catalog=shop,
    )
    assert [(f.code, f.severity) for f in findings] == [("sql.columns_unchecked", Severity.WARNING)]
    assert "bogus" in findings[0].message
    assert codes("SELECT o.id FROM orders AS o JOIN customers AS c USING (id)", catalog=shop) == []


def test_insert_update_merge_target_columns(shop: SchemaCatalog) -> None:
    assert codes("INSERT INTO orders (id, bogus) SELECT id, name FROM customers", "write", shop) == [
        "sql.unknown_column"
    ]
    assert codes("UPDATE orders SET nope = 1 WHERE id = 1", "write", shop) == ["sql.unknown_column"]
    assert codes("UPDATE orders SET status = 'x' WHERE bogus = 1", "write", shop) == ["sql.unknown_column"]
    assert (
        codes(
            "UPDATE orders o SET status = c.name FROM customers c WHERE o.customer_id = c.id", "write", shop
        )
        == []
    )
    merge = "MERGE INTO orders o USING customers c ON o.id = c.id WHEN MATCHED THEN UPDATE SET {} = c.name"
    assert codes(merge.format("wrong"), "write", shop) == ["sql.unknown_column"]
    assert codes(merge.format("status"), "write", shop) == []


def test_granted_delete_where_columns_are_checked(shop: SchemaCatalog) -> None:
    grant = [DestructiveGrant(operation="delete", table="orders")]
    assert codes("DELETE FROM orders WHERE created < now()", "write", shop, grants=grant) == [
        "sql.unknown_column"
    ]
    assert codes("DELETE FROM orders WHERE updated_at < now()", "write", shop, grants=grant) == []


def test_sqlite_columns(lite: SchemaCatalog) -> None:
    assert codes("SELECT e.id, u.name FROM events e JOIN users u ON u.id = e.id", catalog=lite) == []
    assert codes("SELECT id FROM events e JOIN users u ON u.id = e.id", catalog=lite) == [
        "sql.ambiguous_column"
    ]
    assert codes("SELECT kind, colour FROM events", catalog=lite) == ["sql.unknown_column"]


def test_without_catalog_only_syntax_and_statements_are_checked() -> None:
    assert codes("SELECT whatever FROM nowhere") == []


# --- what validation learns from SQL ---------------------------------------------------------------


def test_output_columns_carry_types(shop: SchemaCatalog) -> None:
    analysis = analyze_sql(
        "SELECT o.id, o.amount * 2 AS doubled, c.name, o.updated_at::date AS day, o.* "
        "FROM orders o JOIN customers c ON c.id = o.customer_id",
        dialect="postgres",
        role="read",
        catalog=shop,
    )
    assert analysis.findings == []
    assert analysis.output is not None
    types = {c.name: c.type for c in analysis.output[:4]}
    assert types == {"id": "INT", "doubled": "DECIMAL(12, 2)", "name": "TEXT", "day": "DATE"}
    assert [c.name for c in analysis.output[4:]] == [
        "id",
        "customer_id",
        "amount",
        "status",
        "note",
        "updated_at",
    ]


def test_reads_and_writes(shop: SchemaCatalog) -> None:
    analysis = analyze_sql(
        "WITH c AS (SELECT id FROM customers) INSERT INTO public.orders (id) SELECT id FROM c",
        dialect="postgres",
        role="write",
        catalog=shop,
    )
    assert analysis.reads == ("customers",)
    assert analysis.writes == ("public.orders",)


def test_created_table_from_column_definitions() -> None:
    analysis = analyze_sql(
        "CREATE TABLE IF NOT EXISTS staging.daily (day date NOT NULL, total numeric(14,2))",
        dialect="postgres",
        role="write",
    )
    created = analysis.created
    assert created is not None
    assert (created.schema_name, created.name) == ("staging", "daily")
    assert [(c.name, c.type, c.nullable) for c in created.columns] == [
        ("day", "DATE", False),
        ("total", "DECIMAL(14, 2)", True),
    ]


# --- quality-check conditions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    ["amount >= 0", "amount >= 0 AND customer_id IS NOT NULL", "status IN ('new', 'paid')", "note LIKE 'x%'"],
)
def test_condition_accepted(shop: SchemaCatalog, condition: str) -> None:
    assert check_condition(condition, table="orders", dialect="postgres", catalog=shop) == []


@pytest.mark.parametrize(
    "condition",
    [
        "amount >= 0; DROP TABLE orders",
        "amount > (SELECT max(amount) FROM orders)",
        "sum(amount) > 0",
        "row_number() OVER () > 1",
        "amount >=",
        "amount > 0) OR (1 = 1",
        "SELECT 1",
        "amount",
    ],
)
def test_condition_refused(shop: SchemaCatalog, condition: str) -> None:
    findings = check_condition(condition, table="orders", dialect="postgres", catalog=shop)
    assert [f.code for f in findings] == ["quality.condition_invalid"]


def test_condition_columns_must_belong_to_the_table(shop: SchemaCatalog) -> None:
    findings = check_condition("total >= 0", table="orders", dialect="postgres", catalog=shop)
    assert [f.code for f in findings] == ["sql.unknown_column"]
    assert "total" in findings[0].message


def test_condition_on_sqlite(lite: SchemaCatalog) -> None:
    assert check_condition("amount >= 0 AND kind <> ''", table="events", dialect="sqlite", catalog=lite) == []
    assert [f.code for f in check_condition("size > 0", table="events", dialect="sqlite", catalog=lite)] == [
        "sql.unknown_column"
    ]
