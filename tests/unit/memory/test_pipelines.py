"""Pipeline memory over a real (SQLite) store: indexed from deployments, searched, healed."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_ai_etl.cli import main
from airflow_ai_etl.memory.pipelines import PipelineMemory, open_memory, rebuild_memory
from airflow_ai_etl.store import Store


def _spec(dag_id: str, source: str, target: str) -> dict[str, object]:
    return {
        "dag_id": dag_id,
        "steps": [
            {"id": "load", "kind": "transfer", "source": {"conn_id": source, "table": "t"},
             "target": {"conn_id": target, "table": "t"}},
        ],
    }  # fmt: skip


def _approve(store: Store, request: str, dag_id: str, source: str = "shop", target: str = "dwh") -> None:
    row = store.create_request(request=request, conn_ids=[source, target], created_by="alice")
    spec = _spec(dag_id, source, target)
    draft = store.add_draft(request_id=row.id, dag_id=dag_id, state="ready", created_by="alice", spec=spec)
    store.record_deployment(
        dag_id=dag_id, version=1, action="deploy", draft_id=draft.id, path=f"/dags/{dag_id}.py",
        spec_sha256="0" * 64, deployed_by="bob",
    )  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store.from_url(f"sqlite:///{tmp_path / 'store.db'}")
    _approve(store, "copy new orders to the warehouse every night", "orders_nightly")
    _approve(store, "daily revenue per country into the reporting schema", "revenue_by_country")
    _approve(store, "sync the employee list from hr into payroll", "employees_sync", "hr", "payroll")
    return store


def test_search_finds_approved_pipelines_by_meaning(store: Store, tmp_path: Path) -> None:
    memory = open_memory(store, tmp_path / "memory")
    best = memory.search("load the latest purchases into the data warehouse", k=2)
    assert best[0].pipeline.dag_id == "orders_nightly"
    assert best[0].pipeline.approver == "bob" and best[0].pipeline.conn_ids == ("dwh", "shop")
    assert best[0].score > best[1].score
    over_hr = memory.search("load the latest purchases", conn_ids=["hr", "payroll"])
    assert [s.pipeline.dag_id for s in over_hr] == ["employees_sync"]


def test_new_deployments_are_added_and_damage_is_rebuilt(store: Store, tmp_path: Path) -> None:
    directory = tmp_path / "memory"
    assert len(open_memory(store, directory).entries) == 3
    _approve(store, "hourly count of support tickets per priority", "tickets_hourly")
    assert len(open_memory(store, directory).entries) == 4  # picked up on the next open
    (directory / "pipelines.faiss").write_bytes(b"garbage")
    healed = open_memory(store, directory)
    assert [e.dag_id for e in healed.entries][-1] == "tickets_hourly"
    assert len(PipelineMemory.load(directory).entries) == 4
    (directory / "pipelines.jsonl").unlink()
    assert len(open_memory(store, directory).entries) == 4
    assert len(rebuild_memory(store, directory).entries) == 4


def test_cli_search_and_rebuild(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AIRFLOW__AI_ETL__STORE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setenv("AI_ETL_MEMORY_DIR", str(tmp_path / "cli-memory"))
    assert main(["memory", "rebuild"]) == 0
    assert "3 approved pipeline(s), flat index" in capsys.readouterr().out
    assert main(["memory", "search", "nightly orders copy", "-k", "1"]) == 0
    out = capsys.readouterr().out
    assert "orders_nightly" in out and "approved by bob" in out
    assert main(["memory", "search", "  "]) == 2
    assert "REQUEST is empty" in capsys.readouterr().err


def test_the_similar_pipelines_route(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_ai_etl.plugins.api_memory import similar_pipelines

    monkeypatch.setenv("AI_ETL_MEMORY_DIR", str(tmp_path / "route-memory"))
    found = similar_pipelines("viewer", store, "sync employees from hr", conn_id=["hr", "payroll"], k=3)
    assert [p.dag_id for p in found] == ["employees_sync"]
    assert found[0].approver == "bob" and 0 < found[0].score <= 1
