"""Columns of related tables, joined along foreign keys: the shortest to-one path, run on SQLite to
check the rows, and refusals naming the candidates when two paths are equally short."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from airflow_ai_etl.agents.offline import plan_offline
from airflow_ai_etl.catalog.models import Column, ForeignKey, SchemaCatalog, Table
from airflow_ai_etl.spec import TransferStep
from airflow_ai_etl.validation import validate_spec
from tests.unit.agents.offline.conftest import TODAY, validation_context

DDL = """
CREATE TABLE regions (region_id INTEGER PRIMARY KEY, region_name TEXT NOT NULL);
CREATE TABLE stores (store_id INTEGER PRIMARY KEY, region_id INTEGER REFERENCES regions, city TEXT);
CREATE TABLE buyers (buyer_id INTEGER PRIMARY KEY, city TEXT);
CREATE TABLE sales (sale_id INTEGER PRIMARY KEY, store_id INTEGER REFERENCES stores,
                    buyer_id INTEGER REFERENCES buyers, amount REAL);
CREATE TABLE moves (move_id INTEGER PRIMARY KEY, from_store_id INTEGER REFERENCES stores,
                    to_store_id INTEGER REFERENCES stores, qty INTEGER);
INSERT INTO regions VALUES (1, 'North'), (2, 'South');
INSERT INTO stores VALUES (10, 1, 'Oslo'), (11, 1, 'Bergen'), (12, 2, 'Rome');
INSERT INTO buyers VALUES (100, 'Oslo'), (101, 'Rome');
INSERT INTO sales VALUES (1, 10, 100, 5.0), (2, 11, 101, 7.5), (3, 12, 100, 2.0), (4, NULL, 101, 1.0);
"""


def _fk(column: str, table: str, ref: str) -> ForeignKey:
    return ForeignKey(columns=[column], ref_table=table, ref_columns=[ref])


def _table(name: str, columns: list[tuple[str, str]], keys: list[ForeignKey] | None = None) -> Table:
    return Table(
        name=name,
        columns=[Column(name=n, type=t) for n, t in columns],
        primary_key=[columns[0][0]],
        foreign_keys=keys or [],
    )


def retail_catalog() -> SchemaCatalog:
    return SchemaCatalog(
        conn_id="retail",
        dialect="sqlite",
        tables=[
            _table("regions", [("region_id", "INTEGER"), ("region_name", "TEXT")]),
            _table(
                "stores",
                [("store_id", "INTEGER"), ("region_id", "INTEGER"), ("city", "TEXT")],
                [_fk("region_id", "regions", "region_id")],
            ),
            _table("buyers", [("buyer_id", "INTEGER"), ("city", "TEXT")]),
            _table(
                "sales",
                [
                    ("sale_id", "INTEGER"),
                    ("store_id", "INTEGER"),
                    ("buyer_id", "INTEGER"),
                    ("amount", "REAL"),
                ],
                [_fk("store_id", "stores", "store_id"), _fk("buyer_id", "buyers", "buyer_id")],
            ),
            _table(
                "moves",
                [
                    ("move_id", "INTEGER"),
                    ("from_store_id", "INTEGER"),
                    ("to_store_id", "INTEGER"),
                    ("qty", "INTEGER"),
                ],
                [_fk("from_store_id", "stores", "store_id"), _fk("to_store_id", "stores", "store_id")],
            ),
        ],
    )


CATALOGS = [retail_catalog()]


@pytest.fixture(scope="module")
def database() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    connection.executescript(DDL)
    yield connection
    connection.close()


def source_sql(request: str) -> tuple[str, list[str]]:
    result = plan_offline(request, CATALOGS, today=TODAY)
    assert result.ok and result.spec is not None, result.reason
    report = validate_spec(result.spec, validation_context(CATALOGS))
    assert report.ok, report.to_text()
    (load,) = [s for s in result.spec.steps if isinstance(s, TransferStep)]
    assert load.source.sql
    return load.source.sql, result.understood


def test_a_column_two_references_away_is_joined_along_the_keys(database: sqlite3.Connection) -> None:
    sql, understood = source_sql("total amount per region_name from sales into sales_by_region")
    assert "LEFT JOIN stores" in sql and "LEFT JOIN regions" in sql
    assert any(line.startswith("join: region_name of retail:regions") for line in understood)
    # the sale without a store stays in (under no region): a join never drops or repeats a row
    assert sorted(database.execute(sql).fetchall(), key=repr) == sorted(
        [("North", 12.5), ("South", 2.0), (None, 1.0)], key=repr
    )


def test_a_filter_on_a_related_column_keeps_the_source_columns(database: sqlite3.Connection) -> None:
    sql, _ = source_sql("copy sales where region_name = 'North' into north_sales")
    rows = database.execute(sql).fetchall()
    assert [row[0] for row in rows] == [1, 2] and all(len(row) == 4 for row in rows)


def test_two_tables_equally_near_are_a_refusal_naming_both() -> None:
    result = plan_offline("total amount per city from sales into sales_by_city", CATALOGS, today=TODAY)
    assert not result.ok and result.reason is not None
    assert "could be more than one related column" in result.reason
    assert "city of stores" in result.reason and "city of buyers" in result.reason


def test_two_keys_to_one_table_are_a_refusal_naming_both_paths() -> None:
    result = plan_offline("total qty per city from moves into moves_by_city", CATALOGS, today=TODAY)
    assert not result.ok and result.reason is not None
    assert "from_store_id = store_id" in result.reason and "to_store_id = store_id" in result.reason


def test_a_referencing_table_is_never_joined_to_a_copy() -> None:
    # stores are referenced by sales: a sale's amount is not a column of a store (it would repeat rows)
    result = plan_offline("copy stores where amount > 3 into big_stores", CATALOGS, today=TODAY)
    assert not result.ok and result.reason is not None and "amount" in result.reason
