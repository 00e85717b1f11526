"""The store on SQLite and on PostgreSQL: tables created idempotently, every record kept and read back."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import inspect

from airflow_ai_etl.agents.events import AgentUsage, Event
from airflow_ai_etl.store import Store
from airflow_ai_etl.store.engine import create_tables, make_engine

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path, pg_database: Callable[[], str]) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return pg_database().replace("postgresql://", "postgresql+psycopg2://")


def test_tables_are_prefixed_and_created_idempotently(store_url: str) -> None:
    engine = make_engine(store_url)
    with concurrent.futures.ThreadPoolExecutor(3) as pool:  # several processes starting at once
        list(pool.map(lambda _: create_tables(engine), range(3)))
    create_tables(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"ai_etl_request", "ai_etl_event", "ai_etl_draft", "ai_etl_usage"} <= tables
    assert {"ai_etl_deployment", "ai_etl_audit"} <= tables
    assert all(name.startswith("ai_etl_") for name in tables)


def test_a_request_its_events_drafts_usage_deployments_and_audit(store_url: str) -> None:
    store = Store.from_url(store_url)
    request = store.create_request(
        request="copy orders", conn_ids=["shop", "warehouse"], created_by="op1", schedule="@daily"
    )
    assert store.get_request(request.id).state == "queued"  # type: ignore[union-attr]
    for message in ("one", "two", "three"):
        store.add_event(request.id, Event(agent="planner", message=message, input_tokens=5, output_tokens=2))
    assert [e.seq for e in store.events(request.id)] == [1, 2, 3]
    assert [e.message for e in store.events(request.id, after=1)] == ["two", "three"]
    assert store.events(request.id)[0].at.tzinfo is not None

    usage = [AgentUsage(agent="planner", requests=2, input_tokens=10, output_tokens=4, cost_usd=0.01)]
    first = store.add_draft(
        request_id=request.id, dag_id="orders", state="ready", created_by="op1", spec={"dag_id": "orders"},
        usage=usage,
    )  # fmt: skip
    second = store.add_draft(request_id=request.id, dag_id="orders", state="ready", created_by="admin1")
    other = store.add_draft(request_id=request.id, dag_id="customers", state="failed", created_by="op1")
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert store.get_draft(first.id).spec == {"dag_id": "orders"}  # type: ignore[union-attr]
    assert [(u.agent, u.input_tokens, u.cost_usd) for u in store.usage(request.id)] == [("planner", 10, 0.01)]

    store.update_request(request.id, state="ready", draft_id=first.id, dag_run_id="manual__1")
    again = store.get_request(request.id)
    assert again is not None and (again.state, again.draft_id, again.dag_run_id) == (
        "ready",
        first.id,
        "manual__1",
    )
    with pytest.raises(ValueError, match="request"):
        store.update_request(request.id, request="something else")

    for version, action, draft_id in [
        (1, "deploy", first.id),
        (2, "deploy", second.id),
        (1, "rollback", first.id),
    ]:
        store.record_deployment(
            dag_id="orders", version=version, action=action, draft_id=draft_id, path="/dags/ai_etl/orders.py",
            spec_sha256="0" * 64, deployed_by="op1",
        )  # fmt: skip
    live = store.live_deployments()
    assert [(d.dag_id, d.version, d.action) for d in live] == [("orders", 1, "rollback")]
    assert store.draft_of_version("orders", 2) == second.id

    store.audit(user="viewer1", action="deploy", target="draft:1", outcome="refused", detail={"status": 403})
    store.audit(user="op1", action="deploy", target="draft:1", detail={"version": 1})
    log = store.audit_log(10)
    assert [(a.user, a.outcome) for a in log] == [("op1", "ok"), ("viewer1", "refused")]
    assert log[0].at <= dt.datetime.now(dt.UTC)
    assert [r.id for r in store.list_requests()] == [request.id]


def test_concurrent_event_writers_get_distinct_sequence_numbers(store_url: str) -> None:
    store = Store.from_url(store_url)
    request = store.create_request(request="x", conn_ids=["a"], created_by="op1")

    def write(i: int) -> None:
        store.add_event(request.id, Event(agent="a", message=str(i)))

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(12)))
    seqs = [e.seq for e in store.events(request.id)]
    assert seqs == list(range(1, 13))


def test_a_task_process_without_the_metadata_url_is_told_to_set_store_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import airflow.configuration  # noqa: F401  (Airflow starts its ORM on first import: before the fake URL)

    from airflow_ai_etl.store.engine import StoreNotConfigured, configured_url

    monkeypatch.setenv("AIRFLOW__AI_ETL__STORE_URL", "")
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "airflow-db-not-allowed:///")
    with pytest.raises(StoreNotConfigured, match="store_url"):
        configured_url()
    monkeypatch.setenv("AIRFLOW__AI_ETL__STORE_URL", "sqlite:////tmp/elsewhere.db")
    assert configured_url() == "sqlite:////tmp/elsewhere.db"
