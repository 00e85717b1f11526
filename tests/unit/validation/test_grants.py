"""Grants are exact: CASCADE and replacing an existing object need grants of their own."""

from __future__ import annotations

import pytest

from airflow_ai_etl.catalog import Column, ForeignKey, SchemaCatalog, Table
from airflow_ai_etl.spec.models import DestructiveGrant, DestructiveOperation
from airflow_ai_etl.validation.sql import check_sql


def _table(name: str, *refs: str) -> Table:
    keys = [ForeignKey(columns=["ref"], ref_table=ref, ref_columns=["id"]) for ref in refs]
    columns = [Column(name="id", type="bigint"), Column(name="ref", type="bigint")]
    return Table(name=name, schema_name="shop", columns=columns, foreign_keys=keys)


# purchases -> clients, refunds -> purchases: CASCADE from clients reaches both.
_SHOP = SchemaCatalog(
    conn_id="shop_pg",
    dialect="postgres",
    default_schema="public",
    tables=[_table("clients"), _table("purchases", "shop.clients"), _table("refunds", "shop.purchases")],
)


def _grant(operation: str, table: str) -> DestructiveGrant:
    return DestructiveGrant(operation=DestructiveOperation(operation), table=table)


def _codes(sql: str, *grants: DestructiveGrant, catalog: SchemaCatalog | None = _SHOP) -> list[str]:
    return [f.code for f in check_sql(sql, dialect="postgres", role="write", grants=grants, catalog=catalog)]


@pytest.mark.parametrize(
    ("sql", "operation"),
    [("TRUNCATE shop.clients CASCADE", "truncate"), ("DROP TABLE shop.clients CASCADE", "drop")],
)
def test_cascade_needs_a_grant_for_every_table_it_reaches(sql: str, operation: str) -> None:
    findings = check_sql(
        sql, dialect="postgres", role="write", grants=[_grant(operation, "shop.clients")], catalog=_SHOP
    )
    assert [f.code for f in findings] == ["sql.cascade"]
    assert "shop.purchases" in findings[0].message and "shop.refunds" in findings[0].message

    every = [_grant(operation, t) for t in ("shop.clients", "shop.purchases", "shop.refunds")]
    assert _codes(sql, *every) == []


def test_cascade_without_a_schema_cannot_be_checked() -> None:
    assert _codes("TRUNCATE shop.clients CASCADE", _grant("truncate", "shop.clients"), catalog=None) == [
        "sql.cascade"
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE OR REPLACE VIEW shop.clients AS SELECT 1 AS id",
        "CREATE TABLE shop.purchases AS SELECT 1 AS id",
        "INSERT OVERWRITE TABLE shop.refunds SELECT id, ref FROM shop.clients",
    ],
)
def test_replacing_an_existing_object_needs_a_replace_grant(sql: str) -> None:
    dialect = "spark" if "OVERWRITE" in sql else "postgres"
    target = sql.split("shop.")[1].split(maxsplit=1)[0]
    findings = check_sql(sql, dialect=dialect, role="write", catalog=_SHOP)
    [refusal] = [f for f in findings if f.severity == "error"]
    assert refusal.code == "sql.destructive"
    assert "operation: replace" in (refusal.hint or "")
    # A grant of another class does not cover it; a replace grant does.
    other = [_grant("delete", f"shop.{target}")]
    assert "sql.destructive" in [
        f.code for f in check_sql(sql, dialect=dialect, role="write", grants=other, catalog=_SHOP)
    ]
    replace = [_grant("replace", f"shop.{target}")]
    allowed = check_sql(sql, dialect=dialect, role="write", grants=replace, catalog=_SHOP)
    assert [f for f in allowed if f.severity == "error"] == []


def test_creating_a_new_object_needs_no_grant() -> None:
    assert _codes("CREATE OR REPLACE VIEW shop.client_ids AS SELECT id FROM shop.clients") == []


def test_merge_delete_is_not_covered_by_a_delete_grant() -> None:
    sql = "MERGE INTO shop.clients c USING shop.purchases p ON c.id = p.ref WHEN MATCHED THEN DELETE"
    assert _codes(sql, _grant("delete", "shop.clients")) == ["sql.destructive"]
    assert _codes(sql, _grant("merge_delete", "shop.clients")) == []
