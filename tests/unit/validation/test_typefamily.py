"""Type families and whether a source type fits a target column."""

from __future__ import annotations

import pytest

from airflow_ai_etl.validation.typefamily import Family, Fit, fit, type_info


@pytest.mark.parametrize(
    ("native", "dialect", "family"),
    [
        ("int4", "postgres", Family.INTEGER),
        ("bigint", "postgres", Family.INTEGER),
        ("INTEGER", "sqlite", Family.INTEGER),
        ("numeric(12,2)", "postgres", Family.DECIMAL),
        ("double precision", "postgres", Family.FLOAT),
        ("REAL", "sqlite", Family.FLOAT),
        ("character varying(20)", "postgres", Family.TEXT),
        ("TEXT", "sqlite", Family.TEXT),
        ("boolean", "postgres", Family.BOOLEAN),
        ("date", "postgres", Family.DATE),
        ("timestamp with time zone", "postgres", Family.TIMESTAMP),
        ("DATETIME", "sqlite", Family.TIMESTAMP),
        ("jsonb", "postgres", Family.JSON),
        ("bytea", "postgres", Family.BINARY),
        ("BLOB", "sqlite", Family.BINARY),
        ("uuid", "postgres", Family.UUID),
        ("my_enum_type", "postgres", Family.UNKNOWN),
        ("", "sqlite", Family.UNKNOWN),
    ],
)
def test_native_types_map_to_families(native: str, dialect: str, family: Family) -> None:
    assert type_info(native, dialect).family is family


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        ("integer", "bigint", Fit.OK),
        ("bigint", "integer", Fit.NARROWING),
        ("integer", "numeric(12,2)", Fit.OK),
        ("integer", "double precision", Fit.OK),
        ("numeric(12,2)", "numeric(14,2)", Fit.OK),
        ("numeric(12,2)", "numeric(12,4)", Fit.NARROWING),  # two fewer digits before the point
        ("numeric(12,2)", "numeric(12,0)", Fit.NARROWING),
        ("numeric", "numeric(12,2)", Fit.OK),  # unbounded: nothing to compare
        ("numeric(12,2)", "integer", Fit.NARROWING),
        ("double precision", "real", Fit.NARROWING),
        ("double precision", "numeric(12,2)", Fit.NARROWING),
        ("character varying(20)", "text", Fit.OK),
        ("character varying(200)", "character varying(20)", Fit.NARROWING),
        ("integer", "text", Fit.OK),
        ("timestamp", "text", Fit.OK),
        ("date", "timestamp", Fit.OK),
        ("timestamp", "date", Fit.NARROWING),
        ("timestamp", "timestamp with time zone", Fit.OK),
        ("text", "integer", Fit.INCOMPATIBLE),
        ("text", "uuid", Fit.INCOMPATIBLE),
        ("bytea", "text", Fit.INCOMPATIBLE),
        ("boolean", "integer", Fit.OK),
        ("integer", "boolean", Fit.INCOMPATIBLE),
        ("jsonb", "json", Fit.OK),
        ("inet", "inet", Fit.OK),  # same native name: fine even when the family is unknown
        ("inet", "text", Fit.UNKNOWN),
        ("integer", "", Fit.UNKNOWN),
    ],
)
def test_fit(source: str, target: str, expected: Fit) -> None:
    assert fit(type_info(source, "postgres"), type_info(target, "postgres")) is expected


def test_fit_across_dialects() -> None:
    assert fit(type_info("integer", "postgres"), type_info("INTEGER", "sqlite")) is Fit.OK
    assert fit(type_info("REAL", "sqlite"), type_info("integer", "postgres")) is Fit.NARROWING
    assert fit(type_info("timestamp", "postgres"), type_info("DATETIME", "sqlite")) is Fit.OK
