"""The store on SQLite and on PostgreSQL: every record kept and read back (tables: test_migrations.py)."""

from __future__ import annotations

import concurrent.futures
import datetime as dt

import pytest
from sqlalchemy import select

from airflow_ai_etl.agents.events import AgentUsage, Event
from airflow_ai_etl.store import Store
from airflow_ai_etl.store.models import DraftRow
from airflow_ai_etl.store.repository import DraftFields

pytestmark = pytest.mark.integration


def test_a_request_its_events_drafts_usage_deployments_and_audit(store_url: str) -> None:
    store = Store.from_url(store_url)
    request = store.create_request(
        request="copy orders", conn_ids=["shop", "warehouse"], created_by="op1", schedule="@daily"
    )
    assert store.get_request(request.id).state == "queued"  # type: ignore[union-attr]
    published = [Event(agent="planner", message=m, input_tokens=5, output_tokens=2) for m in ("one", "two")]
    published[0] = Event(agent="planner", message="one", phase="start", data={"model": "m"})
    assert store.add_events(request.id, published) == 2
    assert [(e.phase, e.data) for e in store.events(request.id)] == [
        ("start", {"model": "m", "phase": "start"}),
        ("end", {}),
    ]
    published.append(Event(agent="planner", message="three"))
    assert store.add_events(request.id, published) == 1  # only what is new since the last copy
    assert store.add_events(request.id, published) == 0
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


def test_concurrent_pollers_store_each_event_once(store_url: str) -> None:
    store = Store.from_url(store_url)
    request = store.create_request(request="x", conn_ids=["a"], created_by="op1")
    published = [Event(agent="a", message=str(i)) for i in range(12)]

    def poll(i: int) -> None:  # each poller sees the run a little further on
        store.add_events(request.id, published[: 4 + i % 9])

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(poll, range(16)))
    assert [(e.seq, e.message) for e in store.events(request.id)] == [(i + 1, str(i)) for i in range(12)]


def test_a_request_is_finished_once_with_one_draft_when_callers_race(store_url: str) -> None:
    store = Store.from_url(store_url)
    request = store.create_request(request="x", conn_ids=["a"], created_by="op1")
    store.start_request(request.id)

    def finish(_: int) -> bool:
        draft: DraftFields = {"dag_id": "orders", "state": "ready", "created_by": "op1"}
        return store.finish_request(request.id, state="ready", draft=draft)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(finish, range(8)))
    assert outcomes.count(True) == 1
    row = store.get_request(request.id)
    assert row is not None and row.state == "ready" and row.draft_id is not None
    with store.session() as session:
        drafts = session.scalars(select(DraftRow).where(DraftRow.request_id == request.id)).all()
    assert [d.id for d in drafts] == [row.draft_id]
    store.start_request(request.id)  # a late "it is running" never reopens an ended request
    assert store.get_request(request.id).state == "ready"  # type: ignore[union-attr]
    assert not store.finish_request(request.id, state="failed", error="late")


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
