"""Shared fixtures: an isolated AIRFLOW_HOME, fresh PostgreSQL databases, Airflow connections.

Airflow reads its configuration when first imported, so the environment is set at the top of this
module, before any test module imports airflow.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

_HOME = Path(tempfile.mkdtemp(prefix="ai-etl-airflow-home-"))
os.environ["AIRFLOW_HOME"] = str(_HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(_HOME / "dags"))
# The critics (agents/critics.py) ask a configured model three more questions per valid draft;
# tests that script a model's answers would each have to script them. Tests of the critics turn
# them on (AIRFLOW__AI_ETL__CRITIC_COUNT); every other test, and the Airflow it starts, runs
# without them.
os.environ.setdefault("AIRFLOW__AI_ETL__CRITIC_COUNT", "0")

PG_HOST = os.environ.get("AI_ETL_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("AI_ETL_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("AI_ETL_TEST_PG_USER", "postgres")


def pg_uri(database: str) -> str:
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


def _admin_execute(sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


@pytest.fixture
def pg_database() -> Iterator[Callable[[], str]]:
    """Factory: each call creates an empty PostgreSQL database and returns its URI; all dropped after."""
    created: list[str] = []

    def make() -> str:
        name = f"ai_etl_test_{uuid.uuid4().hex[:12]}"
        _admin_execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return pg_uri(name)

    yield make
    for name in created:
        _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def airflow_conn(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Define an Airflow connection for the test through AIRFLOW_CONN_<ID> (URI or JSON fields)."""

    def define(conn_id: str, uri: str | None = None, **fields: object) -> None:
        value = uri if uri is not None else json.dumps(fields)
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", value)

    return define


@pytest.fixture(autouse=True)
def fresh_llm_cache_and_budgets() -> Iterator[None]:
    """Each test starts with this process's LLM cache (empty) and budgets rebuilt from the
    configuration it sets: an answer cached by one test must not answer another's scripted model."""
    from airflow_ai_etl.budgets.limiter import process_budgets
    from airflow_ai_etl.cache.model_cache import process_cache

    for built in (process_cache, process_budgets):
        built.cache_clear()
    yield
    for built in (process_cache, process_budgets):
        built.cache_clear()
