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


def test_a_table_check_as_rendered_reads_with_readonly_settings(ch_database: str) -> None:
    """The rendered hook_params reach our hook: the check's own query sees readonly = 2."""
    from airflow.providers.common.sql.operators.sql import SQLTableCheckOperator

    from airflow_ai_etl.hooks.readonly import READ_ONLY_HOOK_PARAMS

    hook = ClickHouseHook(clickhouse_conn_id="ch")
    hook.run(f"CREATE TABLE {ch_database}.events (id Int64) ENGINE = MergeTree ORDER BY id")
    hook.run(f"INSERT INTO {ch_database}.events VALUES (1)")
    SQLTableCheckOperator(
        task_id="table",
        conn_id="ch",
        table="events",
        checks={"read_only": {"check_statement": "getSetting('readonly') = 2"}},
        hook_params=READ_ONLY_HOOK_PARAMS,
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
