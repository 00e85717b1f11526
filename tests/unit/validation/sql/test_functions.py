"""The per-dialect function catalogues generated from the engines (package data)."""

from __future__ import annotations

from airflow_ai_etl.validation.sql.functions import UNKNOWN, function_catalogue


def test_postgres_catalogue_has_overloads_kinds_and_side_effects() -> None:
    pg = function_catalogue("postgres")
    assert pg is not None
    assert {s.args for s in pg.signatures("round")} >= {("float8",), ("numeric", "int4")}
    assert (
        pg.kind("sum") == "aggregate" and pg.kind("row_number") == "window" and pg.kind("lower") == "normal"
    )
    assert {s.side_effect for s in pg.signatures("nextval")} == {"writes"}
    assert {s.side_effect for s in pg.signatures("pg_read_file")} == {"privileged"}
    assert {s.side_effect for s in pg.signatures("random")} == {"nondeterministic"}
    assert {s.volatility for s in pg.signatures("lower")} == {"immutable"}
    assert pg.signatures("LOWER") == pg.signatures("lower")  # unquoted names fold


def test_postgres_type_system_follows_pg_cast() -> None:
    pg = function_catalogue("postgres")
    assert pg is not None
    assert pg.type_name("character varying(200)") == "varchar"
    assert pg.type_name("timestamp(3) without time zone") == "timestamp"
    assert pg.type_name("integer[]") == "_int4"
    assert pg.type_name("my_enum") is None
    assert (
        pg.coercible("int4", "numeric") and pg.coercible("varchar", "text") and pg.coercible(UNKNOWN, "date")
    )
    assert not pg.coercible("float8", "numeric")  # an assignment cast only
    assert not pg.coercible("text", "int4")
    assert pg.castable("text", "int4") and pg.castable("float8", "numeric")
    assert not pg.castable("date", "int4")


def test_other_dialects_have_names_and_kinds() -> None:
    clickhouse, spark, sqlite = (function_catalogue(d) for d in ("clickhouse", "spark", "sqlite"))
    assert clickhouse is not None and clickhouse.signatures("toStartOfMonth")
    assert clickhouse.kind("uniqExact") == "aggregate"
    assert not clickhouse.signatures("tostartofmonth")  # ClickHouse names are case-sensitive
    assert spark is not None and spark.kind("collect_list") == "aggregate" and spark.session_functions
    assert sqlite is not None and sqlite.signatures("strftime") and not sqlite.signatures("date_trunc")
    assert function_catalogue("tsql") is None
