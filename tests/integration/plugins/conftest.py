"""The real Airflow api-server app in-process (`airflow.api_fastapi.app.create_app`) with our plugin
mounted, SimpleAuthManager users of every role (and one with per-DAG read rights), a migrated
SQLite metadata database holding the system DAG, and SQLite shop/warehouse connections the
offline planner can plan over.

Airflow reads `AIRFLOW__*` variables at every lookup, so the settings made here take effect for
the app built here, whatever test module imported airflow first.
"""

from __future__ import annotations

import json
import os
import runpy
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.dag_grants import GRANTS_ENV

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
PASSWORDS = {
    "viewer1": "viewer-pw",
    "user1": "user-pw",
    "op1": "op-pw",
    "admin1": "admin-pw",
    "scoped1": "scoped-pw",
}
USERS = "viewer1:viewer,user1:user,op1:op,admin1:admin,scoped1:viewer"
#: scoped1 may read these DAGs only (per-DAG rights, as FAB or Keycloak give them).
SCOPED_DAGS = ["granted_dag"]
REQUEST = "every day at 2am copy new orders into the warehouse; order_id must be unique"


@dataclass
class AirflowApi:
    client: Any  # fastapi.testclient.TestClient
    tokens: dict[str, str]
    home: Path
    dags_folder: Path
    data: Path

    def headers(self, user: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}

    def call(self, method: str, path: str, user: str | None = "admin1", **kwargs: Any) -> Any:
        return self.client.request(method, f"/ai-etl/api{path}", headers=self.headers(user), **kwargs)


def _airflow(env: dict[str, str], *args: str) -> None:
    proc = subprocess.run(
        [str(BIN / "airflow"), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, f"airflow {' '.join(args)}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"


# Module scope: the settings below live in os.environ while it is up, and must not leak into the
# tests of other folders that run after these.
@pytest.fixture(scope="module")
def airflow_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowApi]:
    home = Path(os.environ["AIRFLOW_HOME"])
    data = tmp_path_factory.mktemp("ai-etl-api-data")
    dags = tmp_path_factory.mktemp("ai-etl-api-dags")
    create_shop_db = runpy.run_path(str(REPO / "examples/demo/shop_db.py"))["create_shop_db"]
    create_shop_db(data / "shop.db")
    sqlite3.connect(data / "warehouse.db").close()
    passwords = data / "passwords.json"
    passwords.write_text(json.dumps(PASSWORDS))
    settings = {
        "AIRFLOW__CORE__AUTH_MANAGER": "tests.support.dag_grants.DagGrantsAuthManager",
        GRANTS_ENV: json.dumps({"scoped1": SCOPED_DAGS}),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": USERS,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__API_AUTH__JWT_SECRET": "ai-etl-api-tests-" + "0" * 64,
        "AIRFLOW__AI_ETL__LLM_CONN_ID": "",
        "AIRFLOW_CONN_SHOP": json.dumps({"conn_type": "sqlite", "host": str(data / "shop.db")}),
        "AIRFLOW_CONN_WAREHOUSE": json.dumps({"conn_type": "sqlite", "host": str(data / "warehouse.db")}),
    }
    saved = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    try:
        env = {**os.environ}
        _airflow(env, "db", "migrate")
        from airflow_ai_etl.deploy.system_dag import install_system_dag

        install_system_dag(dags)
        _airflow(env, "dags", "reserialize")

        from airflow.api_fastapi.app import create_app, purge_cached_app
        from fastapi.testclient import TestClient

        purge_cached_app()
        with TestClient(create_app()) as client:
            tokens = {}
            for user, password in PASSWORDS.items():
                response = client.post("/auth/token", json={"username": user, "password": password})
                assert response.status_code in (200, 201), response.text
                tokens[user] = response.json()["access_token"]
            yield AirflowApi(client=client, tokens=tokens, home=home, dags_folder=dags, data=data)
        purge_cached_app()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def reserialize(api: AirflowApi) -> None:
    """Do what the dag-processor does with the dags folder: parse it into the metadata database."""
    _airflow({**os.environ}, "dags", "reserialize")


def run_generation(api: AirflowApi, request_id: int) -> None:
    """Do what the scheduler and a worker do with the run the API triggered for `request_id`.

    `Dag.test` runs the system DAG in-process with the triggered run's params, its task
    (GeneratePipelineOperator) going through the Task SDK and its XComs to the metadata database
    the api-server reads. Dag.test makes a run of its own, so the request is pointed at that run.
    """
    from airflow.models.dagrun import DagRun
    from airflow.sdk import DAG

    from airflow_ai_etl.deploy.system_dag import SYSTEM_DAG_ID
    from airflow_ai_etl.store import default_store

    store = default_store()
    request = store.get_request(request_id)
    assert request is not None and request.dag_run_id
    [triggered] = DagRun.find(dag_id=SYSTEM_DAG_ID, run_id=request.dag_run_id)
    dag = runpy.run_path(str(api.dags_folder / "ai_etl" / f"{SYSTEM_DAG_ID}.py"))["dag"]
    assert isinstance(dag, DAG)
    tested = dag.test(run_conf=dict(triggered.conf))
    store.update_request(request_id, dag_run_id=tested.run_id)
