"""The transfer type map: names parsed per dialect, rendered in another, unmappable types named."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from airflow_ai_etl.operators.transfer.state import Stored, decode, encode
from airflow_ai_etl.operators.transfer.typemap import (
    ColumnType,
    UnmappableTypeError,
    arrow_type,
    convert,
    create_table_sql,
    parse,
)


@pytest.mark.parametrize(
    ("name", "source", "target", "expected"),
    [
        ("int4", "postgresql", "clickhouse", "Int32"),
        ("bigint", "postgresql", "spark", "bigint"),
        ("numeric(10,2)", "postgresql", "clickhouse", "Decimal(10, 2)"),
        ("numeric", "postgresql", "clickhouse", "Decimal(38, 10)"),
        ("character varying(5)", "postgresql", "clickhouse", "String"),
        ("timestamp(3) with time zone", "postgresql", "clickhouse", "DateTime64(6, 'UTC')"),
        ("timestamp without time zone", "postgresql", "spark", "timestamp_ntz"),
        ("jsonb", "postgresql", "sqlite", "TEXT"),
        ("Nullable(Decimal(18, 4))", "clickhouse", "postgresql", "numeric(18, 4)"),
        ("LowCardinality(Nullable(String))", "clickhouse", "postgresql", "text"),
        ("DateTime64(3, 'Europe/Paris')", "clickhouse", "postgresql", "timestamptz"),
        ("DateTime64(3)", "clickhouse", "postgresql", "timestamp"),
        ("Decimal64(3)", "clickhouse", "spark", "decimal(18,3)"),
        ("UInt32", "clickhouse", "postgresql", "bigint"),
        ("VARCHAR(20)", "sqlite", "postgresql", "text"),
        ("BIGINT", "sqlite", "clickhouse", "Int64"),
        ("DOUBLE", "sqlite", "postgresql", "double precision"),
        ("decimal(12,3)", "spark", "postgresql", "numeric(12, 3)"),
        ("timestamp", "spark", "clickhouse", "DateTime64(6, 'UTC')"),
    ],
)
def test_types_map_across_dialects(name: str, source: str, target: str, expected: str) -> None:
    assert convert(name, source, target, "c") == expected


@pytest.mark.parametrize(
    ("name", "dialect"),
    [
        ("tsvector", "postgresql"),
        ("integer[]", "postgresql"),
        ("interval", "postgresql"),
        ("Array(Int32)", "clickhouse"),
    ],
)
def test_an_unmappable_type_names_the_column_and_the_type(name: str, dialect: str) -> None:
    with pytest.raises(UnmappableTypeError, match=rf"column 'tags': .* type '{name[:5]}.*' has no mapping"):
        parse(dialect, name, "tags")


def test_a_sqlite_expression_without_a_declared_type_is_named() -> None:
    with pytest.raises(UnmappableTypeError, match="column 'total': SQLite declares no type"):
        parse("sqlite", "", "total")


def test_arrow_types_carry_precision_and_zone() -> None:
    assert arrow_type(ColumnType("decimal", 10, 2)) == pa.decimal128(10, 2)
    assert arrow_type(ColumnType("decimal", 50, 2)) == pa.decimal256(50, 2)
    assert arrow_type(parse("clickhouse", "DateTime64(6, 'UTC')", "t")) == pa.timestamp("us", tz="UTC")


def test_create_table_sql_per_dialect() -> None:
    columns = [("id", ColumnType("int64")), ("amount", ColumnType("decimal", 12, 2))]
    assert create_table_sql("postgresql", "s.t", columns, ["id"]) == (
        'CREATE TABLE IF NOT EXISTS "s"."t" ("id" bigint NOT NULL, "amount" numeric(12, 2), '
        'PRIMARY KEY ("id"))'
    )
    assert create_table_sql("clickhouse", "d.t", columns, ["id"], replacing=True) == (
        "CREATE TABLE IF NOT EXISTS `d`.`t` (`id` Int64, `amount` Nullable(Decimal(12, 2))) "
        "ENGINE = ReplacingMergeTree ORDER BY `id`"
    )
    assert create_table_sql("clickhouse", "t", columns, []).endswith("ENGINE = MergeTree ORDER BY tuple()")


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 2, 3, 4, 5),
        dt.date(2026, 1, 2),
        Decimal("12.50"),
        42,
        1.5,
        "2026-01-02",
        None,
    ],
)
def test_watermarks_round_trip_with_their_type(value: object) -> None:
    back = decode(encode(value))
    assert back == value and type(back) is type(value)


def test_a_rerun_starts_from_its_own_run_and_a_new_run_from_the_high_watermark() -> None:
    assert Stored(high_found=True, high=10, run_found=True, run_since=3).since(lambda: 99) == 3
    assert Stored(high_found=True, high=10).since(lambda: 99) == 10
    assert Stored().since(lambda: 99) == 99  # no state yet: the target's own maximum


def test_importing_the_operator_loads_no_driver_or_arrow() -> None:
    """DAG files import the operator at every parse: drivers and pyarrow load only when a task runs."""
    import subprocess
    import sys

    heavy = ("pyarrow", "psycopg", "clickhouse_connect", "adbc_driver_postgresql")
    code = f"import sys, airflow_ai_etl.operators.transfer\nprint([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"
