"""The system DAG `ai_etl_generate`, installed with `ai-etl install-system-dag`, turns a stored request
into a ready draft with its events, in a real Airflow task (`airflow dags test`, offline planner)."""

from __future__ import annotations

import json
import runpy
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from airflow_ai_etl.store import Store
from tests.conftest import pg_uri
from tests.e2e.conftest import Airflow

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
REQUEST = "every day at 2am copy new orders into the warehouse; order_id must be unique"


def test_the_system_dag_generates_a_stored_request(
    airflow: Airflow, airflow_conn: Callable[..., None], tmp_path: Path
) -> None:
    runpy.run_path(str(REPO / "examples/demo/shop_db.py"))["create_shop_db"](tmp_path / "shop.db")
    sqlite3.connect(tmp_path / "warehouse.db").close()
    airflow_conn("shop", conn_type="sqlite", host=str(tmp_path / "shop.db"))
    airflow_conn("warehouse", conn_type="sqlite", host=str(tmp_path / "warehouse.db"))
    airflow.extra["AIRFLOW__AI_ETL__LLM_CONN_ID"] = ""

    installed = airflow.run("ai-etl", "install-system-dag", "--dags-folder", str(airflow.dags_folder))
    assert "installed ai_etl_generate" in installed.stdout
    again = airflow.run("ai-etl", "install-system-dag", "--dags-folder", str(airflow.dags_folder))
    assert "already installed" in again.stdout

    # The store defaults to the metadata database: the test reads and writes the same tables.
    store = Store.from_url(
        pg_uri(airflow.session.metadata_db).replace("postgresql://", "postgresql+psycopg2://")
    )
    request = store.create_request(
        request=REQUEST, conn_ids=["shop", "warehouse"], created_by="op1", offline=True, schedule="@daily"
    )
    airflow.run("airflow", "dags", "test", "ai_etl_generate", "-c", json.dumps({"request_id": request.id}))

    done = store.get_request(request.id)
    assert done is not None and done.state == "ready", (
        done.state if done else None,
        done.error if done else None,
    )
    assert done.dag_run_id
    events = store.events(request.id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert {"schema_analyst", "offline_planner", "qa_validator", "renderer"} <= {e.agent for e in events}
    draft = store.get_draft(done.draft_id or 0)
    assert draft is not None and draft.state == "ready" and draft.dag_id == "orders_to_warehouse"
    assert draft.spec is not None and draft.spec["schedule"] == "@daily"
    assert draft.source.startswith("# airflow-ai-etl: generated DAG file")
    assert draft.created_by == "op1"


def test_an_unknown_request_fails_the_task_clearly(airflow: Airflow) -> None:
    airflow.run("ai-etl", "install-system-dag", "--dags-folder", str(airflow.dags_folder))
    failed = airflow.run(
        "airflow", "dags", "test", "ai_etl_generate", "-c", json.dumps({"request_id": 987654}), check=False
    )
    output = failed.stdout + failed.stderr
    assert "request_id 987654: no such request in the ai_etl store" in output
