"""Reading ClickHouse through `read_only_connection`: the engine itself refuses writes."""

from __future__ import annotations

import pytest

from airflow_ai_etl.hooks.clickhouse import ClickHouseHook
from airflow_ai_etl.hooks.readonly import read_only_connection

pytestmark = pytest.mark.integration


def test_a_read_only_connection_reads_but_cannot_write(ch_database: str) -> None:
    hook = ClickHouseHook(clickhouse_conn_id="ch")
    hook.run(f"CREATE TABLE {ch_database}.events (id Int64) ENGINE = MergeTree ORDER BY id")
    hook.run(f"INSERT INTO {ch_database}.events VALUES (1), (2)")

    conn = read_only_connection(hook)
    try:
        cursor = conn.cursor()
        cursor.execute(f"SELECT count() FROM {ch_database}.events")
        assert cursor.fetchall() == [(2,)]
        with pytest.raises(Exception, match=r"(?i)readonly"):
            cursor.execute(f"INSERT INTO {ch_database}.events VALUES (3)")
    finally:
        conn.close()
    assert hook.get_first(f"SELECT count() FROM {ch_database}.events") == (2,)


def test_rendered_table_and_column_checks_read_with_readonly_settings(ch_database: str) -> None:
    """The checks' own queries see readonly = 2: the table check's condition says so, and the
    column check reads an ALIAS column that is 0 only when read that way."""
    from airflow_ai_etl.operators.sql_checks import (
        ReadOnlySQLColumnCheckOperator,
        ReadOnlySQLTableCheckOperator,
    )

    hook = ClickHouseHook(clickhouse_conn_id="ch")
    hook.run(
        f"CREATE TABLE {ch_database}.events (id Int64, "
        "writable UInt8 ALIAS if(getSetting('readonly') = 2, 0, 1)) ENGINE = MergeTree ORDER BY id"
    )
    hook.run(f"INSERT INTO {ch_database}.events VALUES (1)")
    ReadOnlySQLTableCheckOperator(
        task_id="table",
        conn_id="ch",
        table="events",
        checks={"read_only": {"check_statement": "getSetting('readonly') = 2"}},
    ).execute(context={})  # type: ignore[arg-type]
    ReadOnlySQLColumnCheckOperator(
        task_id="columns",
        conn_id="ch",
        table="events",
        column_mapping={"writable": {"max": {"equal_to": 0}}},
    ).execute(context={})  # type: ignore[arg-type]


def test_a_hook_with_readonly_settings_refuses_writes(ch_database: str) -> None:
    hook = ClickHouseHook(clickhouse_conn_id="ch")
    hook.run(f"CREATE TABLE {ch_database}.events (id Int64) ENGINE = MergeTree ORDER BY id")
    read_only = ClickHouseHook(clickhouse_conn_id="ch", settings={"readonly": "2"})
    with pytest.raises(Exception, match=r"(?i)readonly"):
        read_only.run(f"INSERT INTO {ch_database}.events VALUES (1)")
    client = read_only.get_client()
    try:
        with pytest.raises(Exception, match=r"(?i)readonly"):
            client.command(f"INSERT INTO {ch_database}.events VALUES (2)")
    finally:
        client.close()
    assert hook.get_first(f"SELECT count() FROM {ch_database}.events") == (0,)


def test_freshness_reads_clickhouse_with_readonly_settings(ch_database: str) -> None:
    """The alias column is fresh only when read with readonly = 2: the check sees how it reads."""
    from airflow_ai_etl.operators import FreshnessOperator

    hook = ClickHouseHook(clickhouse_conn_id="ch")
    hook.run(
        f"CREATE TABLE {ch_database}.events (id Int64, "
        "at DateTime ALIAS if(getSetting('readonly') = 2, now(), toDateTime(0))) "
        "ENGINE = MergeTree ORDER BY id"
    )
    hook.run(f"INSERT INTO {ch_database}.events VALUES (1)")
    check = FreshnessOperator(task_id="fresh", conn_id="ch", table="events", column="at", max_age_minutes=5)
    assert check.execute({})["age_seconds"] < 60  # type: ignore[arg-type]
