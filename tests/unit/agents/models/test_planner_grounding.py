"""The LLM planner's prompt carries the existing tables and approved pipelines like the request."""

from __future__ import annotations

import datetime as dt

import pytest

from airflow_ai_etl.agents.grounding import approved_examples, existing_tables
from airflow_ai_etl.agents.planner import PlanTask, _prompt
from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table
from tests.support.catalogs import generated_catalog


def _small() -> SchemaCatalog:
    table = Table(name="orders_summary", schema_name="mart", columns=[Column(name="n", type="int")])
    return SchemaCatalog(conn_id="dwh", dialect="postgres", default_schema="public", tables=[table])


def test_small_catalogs_list_every_table_large_ones_the_related() -> None:
    assert existing_tables("load orders", [_small()]) == {"dwh": ["mart.orders_summary"]}
    big = generated_catalog()
    listed = existing_tables("copy invoice lines into the finance schema", [big])[big.conn_id]
    assert "finance.invoice_lines" in listed and len(listed) < len(big.tables)


def test_the_prompt_names_existing_targets_and_examples() -> None:
    task = PlanTask(
        request="count orders into orders_summary",
        catalogs=[_small()],
        today=dt.date(2026, 1, 1),
        existing_tables={"dwh": ["mart.orders_summary"]},
        examples=[{"request": "count orders per day", "spec": {"dag_id": "x"}, "score": 0.9}],
    )
    prompt = _prompt(task)
    assert "## Existing tables\nA target the request names that is one of these IS that table" in prompt
    assert '{"dwh":["mart.orders_summary"]}' in prompt
    assert '"request":"count orders per day"' in prompt


def test_examples_never_fail_a_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__AI_ETL__STORE_URL", "postgresql://nobody@127.0.0.1:1/none")
    assert approved_examples("copy orders", ["dwh"]) == []
