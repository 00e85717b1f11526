"""SchemaCatalog: fingerprint, table resolution and the JSON form."""

from __future__ import annotations

import json

import pytest

from airflow_ai_etl.catalog import Column, ForeignKey, Function, SchemaCatalog, Table


def _orders(amount_type: str = "numeric(12,2)", row_count: int | None = 10) -> Table:
    return Table(
        name="orders",
        schema_name="sales",
        columns=[
            Column(name="id", type="bigint", nullable=False),
            Column(name="amount", type=amount_type, default="0", comment="in EUR"),
        ],
        primary_key=["id"],
        foreign_keys=[ForeignKey(columns=["id"], ref_table="public.customers", ref_columns=["id"])],
        row_count=row_count,
        comment="one row per order",
    )


def _customers(schema: str = "public", name: str = "customers") -> Table:
    return Table(name=name, schema_name=schema, columns=[Column(name="id", type="bigint")])


def _catalog(*tables: Table, default_schema: str | None = "public") -> SchemaCatalog:
    return SchemaCatalog(
        conn_id="shop", dialect="postgres", default_schema=default_schema, tables=list(tables)
    )


def test_fingerprint_ignores_table_order_and_row_counts() -> None:
    first = _catalog(_orders(row_count=10), _customers())
    second = _catalog(_customers(), _orders(row_count=99_000))

    assert first.fingerprint() == second.fingerprint()
    assert len(first.fingerprint()) == 64


def test_fingerprint_changes_with_a_column_type() -> None:
    assert _catalog(_orders()).fingerprint() != _catalog(_orders(amount_type="numeric(14,2)")).fingerprint()


def test_fingerprint_changes_with_a_new_table() -> None:
    assert _catalog(_orders()).fingerprint() != _catalog(_orders(), _customers()).fingerprint()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("customers", "public.customers"),  # unqualified: the default schema
        ("CUSTOMERS", "public.customers"),  # unquoted identifiers fold
        ("sales.customers", "sales.customers"),
        ("Sales.Customers", "sales.customers"),
        ("shopdb.sales.orders", "sales.orders"),  # catalog.schema.table
        ("orders", None),  # not in the default schema
        ("public.orders", None),
        ("missing", None),
    ],
)
def test_find_table(name: str, expected: str | None) -> None:
    catalog = _catalog(_orders(), _customers(), _customers(schema="sales"))

    found = catalog.find_table(name)

    assert (found.qualified_name if found else None) == expected


def test_find_table_prefers_the_exact_spelling() -> None:
    catalog = _catalog(_customers(name="Customers"), _customers(name="customers"))

    assert catalog.find_table("Customers").name == "Customers"  # type: ignore[union-attr]
    assert catalog.find_table("customers").name == "customers"  # type: ignore[union-attr]
    assert catalog.find_table("CUSTOMERS") is not None


def test_find_table_without_schemas() -> None:
    catalog = _catalog(Table(name="events", columns=[]), default_schema=None)

    assert catalog.find_table("Events").qualified_name == "events"  # type: ignore[union-attr]
    assert catalog.find_table("other") is None


def test_table_column_is_case_insensitive() -> None:
    table = _orders()

    assert table.column("AMOUNT") == table.columns[1]
    assert table.column("missing") is None


def test_json_round_trip() -> None:
    catalog = _catalog(_orders(), _customers(), Table(name="v", schema_name="sales", kind="view", columns=[]))

    text = catalog.to_json()
    restored = SchemaCatalog.from_json(text)

    assert restored == catalog
    assert restored.fingerprint() == catalog.fingerprint()
    assert json.loads(text)["tables"][0]["foreign_keys"][0]["ref_table"] == "public.customers"


def test_sqlglot_schema() -> None:
    catalog = _catalog(_orders(), Table(name="events", columns=[Column(name="at", type="date")]))

    assert catalog.sqlglot_schema() == {
        "sales": {"orders": {"id": "bigint", "amount": "numeric(12,2)"}},
        "events": {"at": "date"},
    }


def _mask(volatility: str = "immutable") -> Function:
    return Function(
        name="mask_email",
        schema_name="public",
        argument_types=["text"],
        return_type="text",
        volatility=volatility,  # type: ignore[arg-type]
    )


def test_functions_change_the_fingerprint_and_survive_json() -> None:
    plain = _catalog(_orders())
    with_function = plain.model_copy(update={"functions": [_mask()]})

    assert with_function.fingerprint() != plain.fingerprint()
    assert (
        with_function.fingerprint()
        != with_function.model_copy(update={"functions": [_mask("volatile")]}).fingerprint()
    )
    assert SchemaCatalog.from_json(with_function.to_json()) == with_function


def test_find_functions_by_plain_or_qualified_name() -> None:
    catalog = _catalog().model_copy(
        update={"functions": [_mask(), _mask().model_copy(update={"argument_types": []})]}
    )

    assert len(catalog.find_functions("MASK_EMAIL")) == 2
    assert len(catalog.find_functions("public.mask_email")) == 2
    assert catalog.find_functions("other.mask_email") == []
    assert catalog.find_functions("unmask") == []
