"""The DAG-run listener reports runs of generated DAGs only (files that start with the marker)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_ai_etl.lifecycle import listener
from airflow_ai_etl.render.dagfile import GENERATED_MARKER


@pytest.fixture
def emitted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str | None, dict[str, Any]]]:
    calls: list[tuple[str, str | None, dict[str, Any]]] = []
    monkeypatch.setattr(
        "airflow_ai_etl.lifecycle.publisher.emit",
        lambda event_type, dag_id, **details: calls.append((event_type, dag_id, details)),
    )
    return calls


def run_of(path: Path, dag_id: str) -> SimpleNamespace:
    return SimpleNamespace(
        dag_id=dag_id,
        run_id="scheduled__2026-01-01",
        state=SimpleNamespace(value="failed"),
        run_type=SimpleNamespace(value="scheduled"),
        logical_date=None,
        dag=SimpleNamespace(fileloc=str(path)),
    )


def test_only_generated_dags_are_reported(tmp_path: Path, emitted: list[Any]) -> None:
    generated = tmp_path / "generated.py"
    generated.write_text(f"{GENERATED_MARKER}\nimport airflow\n")
    hand_written = tmp_path / "hand.py"
    hand_written.write_text("import airflow\n")

    listener.on_dag_run_failed(dag_run=run_of(generated, "orders"), msg="task_failure")
    listener.on_dag_run_failed(dag_run=run_of(hand_written, "hand"), msg="task_failure")
    listener.on_dag_run_running(dag_run=run_of(tmp_path / "missing.py", "gone"), msg="")

    assert emitted == [
        (
            "run.failed",
            "orders",
            {
                "run_id": "scheduled__2026-01-01",
                "state": "failed",
                "run_type": "scheduled",
                "logical_date": None,
                "message": "task_failure",
            },
        )
    ]


def test_a_broken_run_object_never_raises(emitted: list[Any]) -> None:
    listener.on_dag_run_success(dag_run=object(), msg="")
    assert emitted == []
