"""The SQLite reader, through Airflow connections to a real database file."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from airflow_ai_etl.catalog import CatalogError, SchemaCatalog, Table, introspect, introspect_hook

pytestmark = pytest.mark.integration

SHOP_DDL = """
CREATE TABLE customers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    region TEXT NOT NULL,
    code INTEGER NOT NULL,
    email VARCHAR(200) DEFAULT 'unknown',
    UNIQUE (region, code)
);
CREATE TABLE orders (
    order_id INTEGER PRIMARY KEY,
    cust_region TEXT,
    cust_code INTEGER,
    amount NUMERIC(12,2) NOT NULL DEFAULT 0,
    placed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    note,
    FOREIGN KEY (cust_region, cust_code) REFERENCES customers (region, code)
);
CREATE TABLE order_lines (
    line_no INTEGER NOT NULL,
    order_id INTEGER NOT NULL REFERENCES orders,
    sku TEXT,
    PRIMARY KEY (order_id, line_no)
);
CREATE VIEW big_orders AS SELECT order_id, amount FROM orders WHERE amount > 100;
CREATE INDEX orders_by_amount ON orders (amount);
"""


@pytest.fixture
def shop_file(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript(SHOP_DDL)
        db.executemany("INSERT INTO customers (region, code) VALUES ('eu', ?)", [(i,) for i in range(40)])
        db.executemany("INSERT INTO orders (amount) VALUES (?)", [(i,) for i in range(25)])
    return path


def _table(catalog: SchemaCatalog, name: str) -> Table:
    table = catalog.find_table(name)
    assert table is not None
    return table


def test_tables_columns_and_keys(shop_file: Path, airflow_conn: Callable[..., None]) -> None:
    # The documented URI form: an absolute path after three slashes.
    airflow_conn("shop_sqlite", f"sqlite://{shop_file}")

    catalog = introspect("shop_sqlite")

    assert (catalog.conn_id, catalog.dialect, catalog.default_schema) == ("shop_sqlite", "sqlite", None)
    # sqlite_sequence (from AUTOINCREMENT) and sqlite_stat1 are SQLite's, not the user's.
    assert [(t.qualified_name, t.kind) for t in catalog.tables] == [
        ("big_orders", "view"),
        ("customers", "table"),
        ("order_lines", "table"),
        ("orders", "table"),
    ]
    orders = _table(catalog, "orders")
    assert [(c.name, c.type, c.nullable, c.default) for c in orders.columns] == [
        ("order_id", "INTEGER", False, None),  # INTEGER PRIMARY KEY is the rowid: never NULL
        ("cust_region", "TEXT", True, None),
        ("cust_code", "INTEGER", True, None),
        ("amount", "NUMERIC(12,2)", False, "0"),
        ("placed_at", "TIMESTAMP", True, "CURRENT_TIMESTAMP"),
        ("note", "", True, None),
    ]
    assert orders.primary_key == ["order_id"]
    [to_customers] = orders.foreign_keys
    assert (to_customers.columns, to_customers.ref_table, to_customers.ref_columns) == (
        ["cust_region", "cust_code"],
        "customers",
        ["region", "code"],
    )
    lines = _table(catalog, "ORDER_LINES")
    assert lines.primary_key == ["order_id", "line_no"]  # key order, not column order
    assert lines.column("line_no").nullable is False  # type: ignore[union-attr]
    # A key naming no columns refers to the parent's primary key.
    [to_orders] = lines.foreign_keys
    assert (to_orders.columns, to_orders.ref_table, to_orders.ref_columns) == (
        ["order_id"],
        "orders",
        ["order_id"],
    )
    assert _table(catalog, "customers").column("email").default == "'unknown'"  # type: ignore[union-attr]
    assert [c.name for c in _table(catalog, "big_orders").columns] == ["order_id", "amount"]


def test_row_counts_come_from_statistics(shop_file: Path, airflow_conn: Callable[..., None]) -> None:
    airflow_conn("shop_sqlite", host=str(shop_file), conn_type="sqlite")  # the JSON form

    before = introspect("shop_sqlite")
    with closing(sqlite3.connect(shop_file)) as db, db:
        db.execute("ANALYZE")
    after = introspect("shop_sqlite")

    assert all(t.row_count is None for t in before.tables)
    assert _table(after, "customers").row_count == 40
    assert _table(after, "orders").row_count == 25
    assert _table(after, "big_orders").row_count is None
    assert after.find_table("sqlite_stat1") is None
    assert after.fingerprint() == before.fingerprint()


def test_missing_file_is_not_created(tmp_path: Path, airflow_conn: Callable[..., None]) -> None:
    missing = tmp_path / "typo.db"
    airflow_conn("typo_sqlite", f"sqlite://{missing}")

    with pytest.raises(
        CatalogError, match=f"connection 'typo_sqlite': SQLite database file '{missing}' does not"
    ):
        introspect("typo_sqlite")
    assert not missing.exists()


def test_four_slash_uri_explains_the_form(shop_file: Path, airflow_conn: Callable[..., None]) -> None:
    # SqliteHook reads 'sqlite:////abs/path' as a URI with an authority and cannot open it.
    airflow_conn("slashes_sqlite", f"sqlite:///{shop_file}")

    with pytest.raises(
        CatalogError, match=r"connection 'slashes_sqlite'.*write the connection as 'sqlite:///abs"
    ):
        introspect("slashes_sqlite")


def test_generic_path_reads_sqlite(shop_file: Path, airflow_conn: Callable[..., None]) -> None:
    from airflow.providers.sqlite.hooks.sqlite import SqliteHook

    airflow_conn("shop_sqlite", f"sqlite://{shop_file}")
    hook = SqliteHook(sqlite_conn_id="shop_sqlite")

    fast = introspect_hook(hook, "shop_sqlite", "sqlite")
    generic = introspect_hook(hook, "shop_sqlite", "")

    assert generic.dialect == "sqlite"
    assert generic.default_schema == "main"
    assert [t.qualified_name for t in generic.tables] == [f"main.{t.name}" for t in fast.tables]
    for fast_table, generic_table in zip(fast.tables, generic.tables, strict=True):
        assert [c.name for c in generic_table.columns] == [c.name for c in fast_table.columns]
        assert generic_table.primary_key == fast_table.primary_key
        assert generic_table.kind == fast_table.kind
        assert [(fk.columns, fk.ref_table, fk.ref_columns) for fk in generic_table.foreign_keys] == [
            (fk.columns, f"main.{fk.ref_table}", fk.ref_columns) for fk in fast_table.foreign_keys
        ]
