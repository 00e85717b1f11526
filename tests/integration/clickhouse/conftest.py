"""chDB, ClickHouse's engine in-process, behind an Airflow connection `ch`.

chDB hosts one engine path per process (opening a second path while a client is open fails), so
the whole session shares one data directory; each test gets its own database in it, dropped after.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from airflow_ai_etl.hooks.clickhouse import ClickHouseHook


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chdb")


@pytest.fixture
def ch_database(chdb_path: Path, airflow_conn: Callable[..., None]) -> Iterator[str]:
    """A fresh database, the default one of connection `ch` (conn type clickhouse, chDB engine)."""
    database = f"t_{uuid.uuid4().hex[:12]}"
    airflow_conn(
        "ch", conn_type="clickhouse", extra=json.dumps({"interface": "chdb", "path": str(chdb_path)})
    )
    ClickHouseHook(clickhouse_conn_id="ch").run(f"CREATE DATABASE {database}")
    airflow_conn(
        "ch",
        conn_type="clickhouse",
        schema=database,
        extra=json.dumps({"interface": "chdb", "path": str(chdb_path)}),
    )
    yield database
    ClickHouseHook(clickhouse_conn_id="ch").run(f"DROP DATABASE IF EXISTS {database}")
