"""`ai-etl doctor` on a real installation (a migrated SQLite home): every problem comes with its fix,
and each check turns ok once its problem is fixed."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.airflow_home import migrated_sqlite_home, run_installed, sqlite_airflow_env


class _Answer(http.server.BaseHTTPRequestHandler):
    status = 401

    def do_GET(self) -> None:
        # The execution API's health answers without a login, like Airflow's, once the server is up.
        healthy = self.path == "/execution/health" and self.server.status != 404  # type: ignore[attr-defined]
        self.send_response(200 if healthy else self.server.status)  # type: ignore[attr-defined]
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[http.server.HTTPServer]:
    """A server answering every GET with `server.status` (an api-server / model endpoint stand-in)."""
    server = http.server.HTTPServer(("127.0.0.1", 0), _Answer)
    server.status = 401  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def doctor(home: Path, **env: str) -> tuple[int, dict[str, list[dict[str, object]]], str]:
    proc = run_installed("ai-etl", "doctor", "--json", env=sqlite_airflow_env(home, **env))
    assert "Traceback" not in proc.stderr, proc.stderr
    by_check: dict[str, list[dict[str, object]]] = {}
    for finding in json.loads(proc.stdout):
        by_check.setdefault(str(finding["check"]), []).append(finding)
    return proc.returncode, by_check, proc.stdout


def only(findings: dict[str, list[dict[str, object]]], check: str) -> dict[str, object]:
    [finding] = findings[check]
    return finding


def test_doctor_names_each_problem_with_its_fix_then_passes(
    tmp_path: Path, http_server: http.server.HTTPServer
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    code, found, _ = doctor(home)
    assert code == 1
    assert only(found, "metadata database")["fix"] == "run `airflow db migrate`"

    migrated_sqlite_home(home)
    (home / "dags").rmdir()  # a fresh AIRFLOW_HOME: no dags folder yet
    api = f"http://127.0.0.1:{http_server.server_port}"
    env = {
        "AIRFLOW_CONN_LEGACY_MYSQL": json.dumps({"conn_type": "mysql", "host": "db"}),
        "AIRFLOW_CONN_LLM": json.dumps({"conn_type": "pydanticai", "host": "http://127.0.0.1:1/v1"}),
        "AIRFLOW__AI_ETL__LLM_CONN_ID": "llm",
        "AIRFLOW_CONN_AI_ETL_CACHE": "redis://:hunter2@127.0.0.1:1/0",
        "AIRFLOW__AI_ETL__CACHE_CONN_ID": "ai_etl_cache",
        "AIRFLOW__API__BASE_URL": api,
    }
    http_server.status = 404  # type: ignore[attr-defined]  # an api-server without the plugin's app
    code, found, text = doctor(home, **env)
    assert code == 1
    providers = only(found, "providers")
    assert providers["message"] == (
        "connection 'legacy_mysql': connection type 'mysql' cannot be used here: "
        "no installed provider defines it"
    )
    assert "install the Airflow provider package that defines connection type 'mysql'" in str(
        providers["fix"]
    )
    assert "dags folder" in str(only(found, "deploy target")["message"])
    assert "ai_etl_generate is not installed" in str(only(found, "system DAG")["message"])
    assert only(found, "system DAG")["fix"] == (
        "run `ai-etl install-system-dag` (after every upgrade of airflow-ai-etl)"
    )
    assert "store tables missing: ai_etl_audit" in str(only(found, "store")["message"])
    assert "'llm''s model endpoint http://127.0.0.1:1/v1 is unreachable" in str(
        only(found, "model")["message"]
    )
    assert "Redis of connection 'ai_etl_cache' does not answer" in str(only(found, "redis")["message"])
    assert "hunter2" not in text
    assert only(found, "plugin")["message"] == f"the api-server at {api} does not serve /ai-etl"
    assert only(found, "execution API")["message"] == f"{api}/execution/health answered HTTP 404"
    assert "scheduler_idle_sleep_time is 1 s" in str(only(found, "scheduler idle sleep")["message"])
    assert all(f["fix"] for findings in found.values() for f in findings if not f["ok"])

    # Fix everything the doctor named.
    env.pop("AIRFLOW_CONN_LEGACY_MYSQL")
    env["AIRFLOW_CONN_LLM"] = json.dumps({"conn_type": "pydanticai", "host": api})
    env["AIRFLOW_CONN_AI_ETL_CACHE"] = "redis://127.0.0.1:6379/15"
    env["AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME"] = "0.1"
    http_server.status = 401  # type: ignore[attr-defined]  # mounted: it asks for a login
    fixed = sqlite_airflow_env(home, **env)
    for command in (
        ("ai-etl", "install-system-dag"),
        ("airflow", "dags", "reserialize", "-B", "dags-folder"),
    ):
        proc = run_installed(*command, env=fixed)
        assert proc.returncode == 0, proc.stderr
    store = "from airflow_ai_etl.store.engine import configured_url, engine_for; engine_for(configured_url())"
    assert run_installed("python", "-c", store, env=fixed).returncode == 0
    code, found, text = doctor(home, **env)
    assert code == 0, text
    assert all(f["ok"] for findings in found.values() for f in findings)
