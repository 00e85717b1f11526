"""Read safety: functions and relations that act on the server are refused, data reads pass."""

from __future__ import annotations

import pytest

from airflow_ai_etl.catalog import Column, Function, SchemaCatalog, Table
from airflow_ai_etl.validation.sql import check_condition, check_sql

_CATALOG = SchemaCatalog(
    conn_id="shop_pg",
    dialect="postgres",
    default_schema="public",
    tables=[Table(name="orders", schema_name="public", columns=[Column(name="id", type="bigint")])],
    functions=[
        Function(name="net", schema_name="public", argument_types=["bigint"], volatility="immutable"),
        Function(name="bump", schema_name="public", argument_types=["bigint"], volatility="volatile"),
    ],
)


def _codes(sql: str, dialect: str = "postgres", role: str = "read") -> list[str]:
    return [f.code for f in check_sql(sql, dialect=dialect, role=role, catalog=_CATALOG)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id, date_trunc('day', now()), coalesce(id, 0), jsonb_build_object('id', id) FROM orders",
        "SELECT net(id) FROM orders",
        "SELECT table_name FROM information_schema.tables",
        "SELECT g FROM generate_series(1, 3) AS g",
    ],
)
def test_reads_of_data_pass(sql: str) -> None:
    assert _codes(sql) == []


@pytest.mark.parametrize(
    ("sql", "code", "words"),
    [
        ("SELECT pg_read_file('/etc/passwd') FROM orders", "sql.unsafe_function", "server files"),
        ("SELECT pg_catalog.pg_ls_dir('.') FROM orders", "sql.unsafe_function", "server files"),
        ("SELECT nextval('orders_id_seq')", "sql.unsafe_function", "sequences"),
        ("SELECT pg_sleep(10)", "sql.unsafe_function", "sleeping"),
        ("SELECT * FROM dblink('host=x', 'select 1') AS t(a int)", "sql.unsafe_function", "remote"),
        ("SELECT bump(id) FROM orders", "sql.function_not_allowed", "VOLATILE"),
        ("SELECT made_up(id) FROM orders", "sql.function_not_allowed", "not known"),
        ("SELECT usename, passwd FROM pg_shadow", "sql.system_relation", "credentials"),
        ("SELECT name, setting FROM pg_catalog.pg_settings", "sql.system_relation", "settings"),
        ("SELECT * FROM pg_catalog.pg_proc", "sql.system_relation", "allowlist"),
        ("SELECT id FROM orders FOR UPDATE", "sql.row_lock", "locks rows"),
    ],
)
def test_server_access_is_refused(sql: str, code: str, words: str) -> None:
    findings = check_sql(sql, dialect="postgres", role="read", catalog=_CATALOG)
    assert [f.code for f in findings] == [code]
    assert words in findings[0].message


def test_a_granted_delete_is_still_checked_in_its_where() -> None:
    from airflow_ai_etl.spec.models import DestructiveGrant, DestructiveOperation

    grant = DestructiveGrant(operation=DestructiveOperation.DELETE, table="orders")
    sql = "DELETE FROM orders WHERE id IN (SELECT length(pg_read_file('/etc/passwd')))"
    findings = check_sql(sql, dialect="postgres", role="write", grants=[grant], catalog=_CATALOG)
    assert [f.code for f in findings] == ["sql.unsafe_function"]


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("SELECT * FROM url('http://evil/x.csv', CSV, 'a String')", "sql.unsafe_function"),
        ("SELECT * FROM s3('http://bucket/x', 'CSV')", "sql.unsafe_function"),
        ("SELECT name, auth_type FROM system.users", "sql.system_relation"),
        ("SELECT sleepEachRow(1) FROM system.one", "sql.unsafe_function"),
        ("SELECT zapWholeDisk(1)", "sql.function_not_allowed"),
    ],
)
def test_clickhouse_server_access_is_refused(sql: str, code: str) -> None:
    assert code in [f.code for f in check_sql(sql, dialect="clickhouse", role="read")]


def test_clickhouse_families_of_built_ins_pass() -> None:
    sql = "SELECT toDate(x), toStartOfDay(x), uniqExact(x), arrayJoin([1]), cityHash64(x) FROM t"
    assert check_sql(sql, dialect="clickhouse", role="read") == []


def test_quality_condition_cannot_call_server_functions() -> None:
    findings = check_condition("id > 0 OR pg_sleep(5) IS NULL", table="orders", dialect="postgres")
    assert [f.code for f in findings] == ["sql.unsafe_function"]
