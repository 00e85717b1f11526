"""The usage ledger over a SQLite store: per DAG and version, with totals, and `ai-etl usage`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_ai_etl.agents.events import AgentUsage
from airflow_ai_etl.store import Store
from airflow_ai_etl.store.ledger import ledger_totals, usage_ledger
from tests.support.cli import ai_etl  # noqa: F401  (a fixture)


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("AIRFLOW__AI_ETL__STORE_URL", url)
    return url


def add_version(store: Store, dag_id: str, *usage: AgentUsage) -> None:
    request = store.create_request(request="copy orders", conn_ids=["shop"], created_by="alice")
    store.add_draft(request_id=request.id, dag_id=dag_id, state="ready", created_by="alice", usage=usage)


@pytest.fixture
def store(store_url: str) -> Store:
    store = Store.from_url(store_url)
    add_version(
        store,
        "orders_copy",
        AgentUsage(agent="planner", requests=2, input_tokens=1000, output_tokens=300, cost_usd=0.01),
        AgentUsage(agent="sql_expert", requests=1, input_tokens=400, output_tokens=100, cost_usd=0.002),
    )
    add_version(
        store,
        "orders_copy",
        AgentUsage(
            agent="planner",
            requests=0,
            cost_usd=None,
            cache_hits=2,
            saved_input_tokens=1000,
            saved_output_tokens=300,
            saved_cost_usd=0.01,
        ),
    )
    add_version(
        store, "customers_copy", AgentUsage(agent="planner", requests=1, input_tokens=50, cost_usd=None)
    )
    return store


def test_usage_is_rolled_up_per_dag_and_version_with_cache_savings(store: Store) -> None:
    lines = {(line.dag_id, line.version): line for line in usage_ledger(store)}
    first, second = lines[("orders_copy", 1)], lines[("orders_copy", 2)]
    assert (first.calls, first.input_tokens + first.output_tokens, first.cache_hits) == (3, 1800, 0)
    assert first.cost_usd == pytest.approx(0.012)
    assert (second.calls, second.cache_hits, second.saved_tokens, second.cost_usd) == (0, 2, 1300, 0.0)
    assert second.saved_cost_usd == pytest.approx(0.01)
    total = ledger_totals(lines.values())["orders_copy"]
    assert (total.calls, total.cache_hits, total.saved_tokens) == (3, 2, 1300)
    assert total.cost_usd == pytest.approx(0.012)


def test_a_call_on_an_unpriced_model_makes_the_cost_unknown_not_zero(store: Store) -> None:
    (line,) = usage_ledger(store, ["customers_copy"])
    assert line.calls == 1 and line.cost_usd is None


def test_ai_etl_usage_prints_versions_and_totals(store: Store, ai_etl) -> None:  # noqa: F811
    proc = ai_etl("usage", "orders_copy", "--json")
    assert proc.returncode == 0, proc.stderr
    lines = json.loads(proc.stdout)
    assert [(line["dag_id"], line["version"]) for line in lines] == [
        ("orders_copy", 1),
        ("orders_copy", 2),
        ("orders_copy", None),
    ]
    table = ai_etl("usage")
    assert table.returncode == 0
    rows = table.stdout.splitlines()
    assert rows[0].split()[:3] == ["DAG", "version", "calls"]
    assert any(row.split()[:2] == ["customers_copy", "total"] and "unknown" in row for row in rows)


def test_ai_etl_usage_of_an_unknown_dag_says_so(store: Store, ai_etl) -> None:  # noqa: F811
    proc = ai_etl("usage", "no_such_dag")
    assert proc.returncode == 1
    assert "no usage is recorded for DAG 'no_such_dag'" in proc.stderr
