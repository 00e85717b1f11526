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
