"""Column lineage of one statement from sqlglot: CTEs, joins, INSERT positions, CREATE AS, `*`."""

from __future__ import annotations

from airflow_ai_etl.lineage.columns import SourceColumn, statement_lineage

SCHEMA = {
    "public": {
        "orders": {"id": "int", "amount": "numeric", "customer_id": "int"},
        "customers": {"id": "int", "name": "text"},
        "facts": {"order_key": "int", "revenue": "numeric"},
    }
}


def test_ctes_and_joins_resolve_to_base_table_columns() -> None:
    lineage = statement_lineage(
        "WITH x AS (SELECT o.id, o.amount * 2 AS doubled, c.name FROM public.orders o "
        "JOIN public.customers c ON c.id = o.customer_id) "
        "SELECT id AS order_id, doubled + 1 AS total, name, 1 AS one FROM x",
        "postgres",
        SCHEMA,
    )
    assert lineage.reads == ["public.orders", "public.customers"] and lineage.writes is None
    assert lineage.columns == {
        "order_id": [SourceColumn("public.orders", "id", "IDENTITY")],
        "total": [SourceColumn("public.orders", "amount", "TRANSFORMATION")],
        "name": [SourceColumn("public.customers", "name", "IDENTITY")],
        "one": [],
    }


def test_insert_maps_by_position_onto_the_target_columns() -> None:
    lineage = statement_lineage(
        "INSERT INTO public.facts SELECT id, sum(amount) FROM public.orders GROUP BY id", "postgres", SCHEMA
    )
    assert lineage.writes == "public.facts"
    assert lineage.columns == {
        "order_key": [SourceColumn("public.orders", "id", "IDENTITY")],
        "revenue": [SourceColumn("public.orders", "amount", "TRANSFORMATION")],
    }
    listed = statement_lineage("INSERT INTO t (a, b) SELECT name, id FROM customers", "sqlite")
    assert listed.columns == {
        "a": [SourceColumn("customers", "name", "IDENTITY")],
        "b": [SourceColumn("customers", "id", "IDENTITY")],
    }


def test_star_expands_only_with_a_schema() -> None:
    with_schema = statement_lineage(
        "CREATE TABLE public.copy AS SELECT * FROM public.customers", "postgres", SCHEMA
    )
    assert with_schema.writes == "public.copy" and list(with_schema.columns) == ["id", "name"]
    without = statement_lineage("SELECT * FROM public.customers", "postgres")
    assert without.reads == ["public.customers"] and without.columns == {}


def test_sql_that_does_not_parse_or_is_no_query_gives_nothing() -> None:
    assert statement_lineage("SELECT FROM WHERE (", "postgres").columns == {}
    assert statement_lineage("DELETE FROM orders", "postgres").reads == []


def test_one_table_without_a_catalog_resolves_its_unqualified_columns_even_in_where() -> None:
    lineage = statement_lineage(
        "CREATE TABLE big AS SELECT id, amount * 2 AS doubled FROM shop.orders "
        "WHERE amount > 10 ORDER BY doubled",
        "sqlite",
    )
    assert (lineage.reads, lineage.writes) == (["shop.orders"], "big")
    assert lineage.columns == {
        "id": [SourceColumn("shop.orders", "id", "IDENTITY")],
        "doubled": [SourceColumn("shop.orders", "amount", "TRANSFORMATION")],
    }
