"""The system DAG `ai_etl_generate`, installed with `ai-etl install-system-dag`, generates a request
in a real Airflow task (`airflow dags test`, offline planner): its events and result land as XComs
in the metadata database, and the store takes them from there into a ready draft."""

from __future__ import annotations

import json
import runpy
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from airflow_ai_etl.store import Store
from airflow_ai_etl.store.generation import RunOutput, record_run
from tests.conftest import pg_uri
from tests.e2e.conftest import Airflow

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
REQUEST = "every day at 2am copy new orders into the warehouse; order_id must be unique"


def _metadata_url(airflow: Airflow) -> str:
    return pg_uri(airflow.session.metadata_db).replace("postgresql://", "postgresql+psycopg2://")


def _xcoms(airflow: Airflow) -> tuple[str, dict[str, Any]]:
    """The run id and the XComs of the latest ai_etl_generate run, read from the metadata database."""
    engine = sa.create_engine(_metadata_url(airflow))
    with engine.connect() as conn:
        run_id = conn.execute(
            sa.text("SELECT run_id FROM dag_run WHERE dag_id = 'ai_etl_generate' ORDER BY id DESC LIMIT 1")
        ).scalar_one()
        rows = conn.execute(
            sa.text("SELECT key, value FROM xcom WHERE dag_id = 'ai_etl_generate' AND run_id = :run"),
            {"run": run_id},
        ).all()
    engine.dispose()
    return run_id, {key: json.loads(value) if isinstance(value, str) else value for key, value in rows}


def test_the_system_dag_generates_a_request_into_xcoms_the_store_takes(
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

    # The store defaults to the metadata database; only the api-server (here: this test) writes it.
    store = Store.from_url(_metadata_url(airflow))
    request = store.create_request(
        request=REQUEST, conn_ids=["shop", "warehouse"], created_by="op1", offline=True, schedule="@daily"
    )
    params = {"request": REQUEST, "conn_ids": ["shop", "warehouse"], "offline": True, "schedule": "@daily"}
    airflow.run("airflow", "dags", "test", "ai_etl_generate", "-c", json.dumps(params))

    run_id, xcoms = _xcoms(airflow)
    events, result = xcoms["events"], xcoms["return_value"]
    assert {"schema_analyst", "offline_planner", "qa_validator", "renderer"} <= {e["agent"] for e in events}
    assert result["ok"] is True and result["spec"]["schedule"] == "@daily" and result["er"]["tables"]

    store.update_request(request.id, dag_run_id=run_id)
    row = store.get_request(request.id)
    assert row is not None
    record_run(store, row, RunOutput(events=events, result=result, ended="task success"))
    done = store.get_request(request.id)
    assert done is not None and (done.state, done.error) == ("ready", None)
    assert [e.seq for e in store.events(request.id)] == list(range(1, len(events) + 1))
    draft = store.get_draft(done.draft_id or 0)
    assert draft is not None and draft.state == "ready" and draft.dag_id == "orders_to_warehouse"
    assert draft.source.startswith("# airflow-ai-etl: generated DAG file")
    assert draft.created_by == "op1"


def test_bad_params_and_unreadable_connections_fail_the_run_clearly(airflow: Airflow) -> None:
    airflow.run("ai-etl", "install-system-dag", "--dags-folder", str(airflow.dags_folder))
    missing = airflow.run(
        "airflow", "dags", "test", "ai_etl_generate", "-c", json.dumps({"request": "copy"}), check=False
    )
    assert missing.returncode != 0 and "conn_ids" in missing.stdout + missing.stderr

    params = {"request": "copy orders", "conn_ids": ["no_such_db"]}
    unknown = airflow.run("airflow", "dags", "test", "ai_etl_generate", "-c", json.dumps(params), check=False)
    assert "cannot read the schema of 'no_such_db'" in unknown.stdout + unknown.stderr
    _, xcoms = _xcoms(airflow)
    [started, event] = xcoms["events"]  # what the page shows for it
    assert (started["agent"], started["phase"]) == ("catalog", "start")
    assert event["level"] == "error" and "'no_such_db'" in event["message"]
