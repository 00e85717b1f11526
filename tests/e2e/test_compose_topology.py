"""The docker-compose.yaml topology, run natively: the Airflow services the compose file declares
(api-server, scheduler, dag-processor, triggerer and a Celery worker), started with the commands
and the executor, auth and `[ai_etl]` settings it gives them; Redis as Celery's broker, PostgreSQL
as the metadata database and Celery's result backend, the demo shop of docker/shop/init.sql.

Through it, over the plugin's REST API as a client of the stack would: a request is generated (the
system DAG's task runs on the Celery worker), the draft is approved and deployed, and a test run of
the new DAG, also on the worker, copies the shop's customers into the warehouse.

What cannot run here is swapped, not skipped: no image can be pulled, so the commands run from this
venv; the service host names become 127.0.0.1 and free ports; the warehouse is PostgreSQL instead
of a ClickHouse server; no LLM (the offline planner). Celery's keys and queue are this test's own,
as the shared Redis serves other test runs too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import yaml
from cryptography.fernet import Fernet

from tests.conftest import pg_uri
from tests.e2e.conftest import REPO, WAIT_SECONDS, Airflow, free_port, healthy, query
from tests.support.redis import REDIS_URL, redis_prefix  # noqa: F401  (a fixture)

pytestmark = pytest.mark.e2e

COMPOSE = yaml.safe_load((REPO / "docker-compose.yaml").read_text())
ADMIN, PASSWORD = "admin", "ai-etl-compose-e2e-pw"
REQUEST = "every day at 2am copy new customers into the warehouse; customer_id must be unique"
#: The settings whose compose values name the stack's hosts or secrets; each gets this machine's value.
LOCAL_SETTINGS = {
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW__CELERY__RESULT_BACKEND",
    "AIRFLOW__CORE__FERNET_KEY",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    "AIRFLOW__API__BASE_URL",
    "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS",
    "AIRFLOW__METRICS__STATSD_HOST",
    "AIRFLOW__METRICS__STATSD_PORT",
    "AIRFLOW__AI_ETL__LLM_CONN_ID",
    "AIRFLOW__AI_ETL__MODEL",
}


def airflow_services() -> dict[str, list[str]]:
    """The long-running Airflow services of the compose file and their `airflow` commands."""
    return {
        name: service["command"]
        for name, service in COMPOSE["services"].items()
        if str(service.get("image", "")).startswith("airflow-ai-etl")
        and "entrypoint" not in service  # airflow-init: a one-off shell script, run below as commands
        and isinstance(service.get("command"), list)
    }


def compose_settings() -> dict[str, str]:
    """The Airflow services' AIRFLOW__* settings as compose gives them (before the local swaps)."""
    environment = COMPOSE["services"]["airflow-scheduler"]["environment"]
    return {key: str(value) for key, value in environment.items() if key.startswith("AIRFLOW__")}


class Api:
    """The plugin's REST API as an admin client of the stack (a Bearer token from /auth/token)."""

    def __init__(self, base_url: str) -> None:
        token = httpx.post(
            f"{base_url}/auth/token", json={"username": ADMIN, "password": PASSWORD}, timeout=30
        )
        assert token.status_code in (200, 201), token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        self.client = httpx.Client(base_url=f"{base_url}/ai-etl/api", headers=headers, timeout=60)
        self.airflow = httpx.Client(base_url=f"{base_url}/api/v2", headers=headers, timeout=60)

    def call(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = self.client.request(method, path, **kwargs)
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()


def test_the_compose_topology_generates_deploys_and_runs_a_pipeline_on_a_celery_worker(
    airflow: Airflow,
    pg_database: Callable[[], str],
    airflow_conn: Callable[..., None],
    redis_prefix: str,  # noqa: F811  (the shared fixture)
) -> None:
    queue = f"ai_etl_e2e_{redis_prefix.split(':')[1]}"  # Celery's keys are under redis_prefix
    services = airflow_services()
    assert sorted(services.values()) == sorted(
        [["api-server"], ["scheduler"], ["dag-processor"], ["triggerer"], ["celery", "worker"]]
    )
    settings = compose_settings()
    assert settings["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert set(settings) >= LOCAL_SETTINGS, LOCAL_SETTINGS - set(settings)

    # The store in a database of its own: the metadata database is shared by every e2e module, and
    # the pipeline deployed here must not appear on the pages of later modules.
    shop, warehouse, store = pg_database(), pg_database(), pg_database()
    query(shop, (REPO / "docker" / "shop" / "init.sql").read_text())
    airflow_conn("shop", shop)
    airflow_conn("warehouse", warehouse)
    passwords = airflow.session.home / "passwords.json"
    passwords.write_text(json.dumps({ADMIN: PASSWORD}))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    metadata = pg_uri(airflow.session.metadata_db)
    airflow.extra.update(
        {
            **settings,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow.session.settings[
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
            ],
            "AIRFLOW__AI_ETL__STORE_URL": store,
            "AIRFLOW__CELERY__BROKER_URL": REDIS_URL,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{metadata}",
            "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__GLOBAL_KEYPREFIX": redis_prefix,
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
            "AIRFLOW__API__BASE_URL": base_url,
            "AIRFLOW__API_AUTH__JWT_SECRET": airflow.session.settings["AIRFLOW__API_AUTH__JWT_SECRET"],
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
            "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
            "AIRFLOW__METRICS__STATSD_PORT": str(free_port()),  # UDP: nothing needs to listen
            "AIRFLOW__AI_ETL__LLM_CONN_ID": "",
            "AIRFLOW__AI_ETL__MODEL": "",
            # Ports of this machine, shared with other runs: the components' log servers get free ones.
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
        }
    )
    # airflow-init's script (the metadata database is migrated by the e2e session already).
    airflow.run("ai-etl", "install-system-dag", "--dags-folder", str(airflow.dags_folder))
    for name, command in services.items():
        listen = ["--host", "127.0.0.1", "--port", str(port)] if command == ["api-server"] else []
        airflow.start(name, *command, *listen)
    airflow.wait_until("the api-server", lambda: healthy(f"{base_url}/api/v2/monitor/health"))
    airflow.wait_until(
        "the system DAG ai_etl_generate to be parsed",
        lambda: airflow.metadata_query("SELECT 1 FROM dag WHERE dag_id = 'ai_etl_generate' AND NOT is_stale"),
    )
    api = Api(base_url)

    body = {"request": REQUEST, "conn_ids": ["shop", "warehouse"], "offline": True}
    request = api.call("POST", "/requests", 202, json=body)
    request = airflow.wait_until(
        "the request to be generated on the worker",
        lambda: (r := api.call("GET", f"/requests/{request['id']}"))["state"] in ("ready", "failed") and r,
        timeout=WAIT_SECONDS,
        interval=2,
    )
    assert request["state"] == "ready", request
    draft = api.call("GET", f"/drafts/{request['draft_id']}")
    dag_id = draft["dag_id"]
    [load] = [s for s in draft["spec"]["steps"] if s["kind"] == "transfer"]
    assert load["source"]["conn_id"] == "shop" and load["target"]["conn_id"] == "warehouse"

    deployed = api.call("POST", f"/drafts/{draft['id']}/deploy")
    assert deployed["dag_id"] == dag_id and deployed["version"] == 1 and deployed["parse_requested"]
    airflow.wait_until(
        f"{dag_id} to be parsed after the deploy",
        lambda: airflow.metadata_query("SELECT 1 FROM dag WHERE dag_id = %s AND NOT is_stale", (dag_id,)),
    )
    assert api.call("PUT", f"/pipelines/{dag_id}/schedule", json={"on": True})["on"] is True
    airflow.run("airflow", "dags", "trigger", dag_id)
    [(run_id, state)] = airflow.wait_until(
        f"the triggered run of {dag_id} to finish on the worker",
        lambda: airflow.metadata_query(
            "SELECT run_id, state FROM dag_run WHERE dag_id = %s AND run_type = 'manual' "
            "AND state IN ('success', 'failed')",
            (dag_id,),
        ),
        interval=2,
    )
    tasks = airflow.metadata_query(
        "SELECT dag_id, task_id, state, queue FROM task_instance WHERE run_id IN (%s, %s)",
        (run_id, request["dag_run_id"]),
    )
    assert state == "success", f"{tasks}\n{airflow.diagnostics()}"

    # Both runs' tasks went through this test's Celery queue to the worker, which ran them.
    assert {dag for dag, *_ in tasks} == {dag_id, "ai_etl_generate"}
    assert {(state, queue) for *_, state, queue in tasks} == {("success", queue)}, tasks
    worker_log = next(c.log for c in airflow.components if services[c.name] == ["celery", "worker"])
    ran = worker_log.read_text(errors="replace")
    assert "ai_etl_generate" in ran and dag_id in ran
    target = load["target"]["table"]
    assert query(warehouse, f"SELECT count(*) FROM {target}") == query(shop, "SELECT count(*) FROM customers")

    # The metadata database is shared by every e2e module, and this DAG was unpaused and run: a later
    # module deploying the same dag_id must find it new (paused at creation, no runs). So the file
    # goes, then Airflow's own DAG delete removes its rows.
    (airflow.dags_folder / "ai_etl" / f"{dag_id}.py").unlink()
    deleted = api.airflow.delete(f"/dags/{dag_id}")
    assert deleted.status_code == 204, deleted.text
