"""Fixtures for the agents' tests over HTTP: the scripted OpenAI-compatible server and a shop database.

The server lives in tests/support/scripted_llm.py (stdlib only), importable by any suite as
`tests.support.scripted_llm`: pytest's importlib mode registers the `tests` package by its rootdir
path, the same way tests/integration/deploy imports tests/unit/deploy/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support import scripted_llm as scripted_llm_module

LLM_CONN_ID = "ai_etl_test_llm"

SHOP_SQL = """
CREATE TABLE public.customers (id integer PRIMARY KEY, name text NOT NULL, email text);
CREATE TABLE public.orders (
    order_id integer PRIMARY KEY,
    customer_id integer REFERENCES public.customers (id),
    amount numeric(12, 2) NOT NULL,
    updated_at timestamp NOT NULL DEFAULT now()
);
INSERT INTO public.customers VALUES (1, 'Ada', 'ada@example.com'), (2, 'Brian', NULL);
INSERT INTO public.orders VALUES (10, 1, 12.50, now()), (11, 2, 99.00, now());
CREATE SCHEMA analytics;
CREATE TABLE analytics.orders_copy (
    order_id integer PRIMARY KEY,
    customer_id integer,
    amount numeric(12, 2),
    updated_at timestamp,
    customer_name text
);
"""


@pytest.fixture
def scripted_llm() -> Iterator[Any]:
    """The running server; `scripted_llm.script(...)` queues replies, `.requests` records the calls."""
    with scripted_llm_module.running() as server:
        yield server


@pytest.fixture
def llm_config(
    scripted_llm: Any, airflow_conn: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., None]:
    """Point `[ai_etl]` at the scripted server, with small limits so failure paths stay fast."""

    def configure(model: str = "openai-chat:gpt-test", **settings: str) -> None:
        fields = scripted_llm.connection(model)
        airflow_conn(LLM_CONN_ID, **fields)
        values = {"llm_conn_id": LLM_CONN_ID, "llm_timeout": "2", "llm_max_retries": "1", **settings}
        for key, value in values.items():
            monkeypatch.setenv(f"AIRFLOW__AI_ETL__{key.upper()}", value)

    return configure


@pytest.fixture
def shop(pg_database: Callable[[], str], airflow_conn: Callable[..., None]) -> Any:
    """A PostgreSQL database with customers, orders and an analytics target, as connection `shop_pg`;
    returns its catalog."""
    import psycopg2

    from airflow_ai_etl.catalog.introspect import introspect

    uri = pg_database()
    with psycopg2.connect(uri) as conn, conn.cursor() as cur:
        cur.execute(SHOP_SQL)
    conn.close()
    airflow_conn("shop_pg", uri)
    return introspect("shop_pg")
