"""Request -> (worker) draft -> review -> edit -> validate -> deploy -> rollback -> test run, through
the real Airflow app; and every kind of bad input answered with a clear 4xx, recorded in the audit log,
with nothing half-written."""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml

from airflow_ai_etl.agents.events import AgentUsage
from airflow_ai_etl.budgets.limiter import Subject, build_budgets
from airflow_ai_etl.budgets.settings import budget_settings
from airflow_ai_etl.store import Store, default_store
from tests.integration.plugins.conftest import REQUEST, AirflowApi, reserialize, run_generation
from tests.support.redis import REDIS_URL, redis_prefix  # noqa: F401  (a fixture)

pytestmark = pytest.mark.integration

DAG_ID = "orders_to_warehouse"


def _audit(api: AirflowApi, **match: Any) -> list[dict[str, Any]]:
    rows = api.call("GET", "/audit?limit=1000").json()
    return [r for r in rows if all(r.get(k) == v for k, v in match.items())]


@pytest.fixture(scope="module")
def draft(airflow_api: AirflowApi) -> dict[str, Any]:
    """A request made through the API, its system-DAG run run to the end, the draft read back."""
    body = {"request": REQUEST, "conn_ids": ["shop", "warehouse"], "offline": True, "schedule": "0 3 * * *"}
    created = airflow_api.call("POST", "/requests", "op1", json=body)
    assert created.status_code == 202, created.text
    request_id = created.json()["id"]
    assert airflow_api.call("GET", f"/requests/{request_id}").json()["state"] == "queued"
    run_generation(airflow_api, request_id)
    request = airflow_api.call("GET", f"/requests/{request_id}", "viewer1").json()
    assert request["state"] == "ready" and request["draft_id"], request
    response = airflow_api.call("GET", f"/drafts/{request['draft_id']}", "viewer1")
    assert response.status_code == 200
    return dict(response.json())


def test_events_are_stored_in_order_and_polled_after_a_seq(
    airflow_api: AirflowApi, draft: dict[str, Any]
) -> None:
    events = airflow_api.call("GET", f"/requests/{draft['request_id']}").json()["events"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    agents = [e["agent"] for e in events]
    assert agents[0] == "catalog" and "offline_planner" in agents and "renderer" in agents
    # Every step is published as it starts and again as it ends, so the page shows it running.
    starts = [(i, e["agent"]) for i, e in enumerate(events) if e["phase"] == "start"]
    assert [agent for _, agent in starts] == [
        "catalog",
        "catalog",
        "schema_analyst",
        "offline_planner",
        "qa_validator",
        "renderer",
    ]
    for i, agent in starts:
        following = [e for e in events[i + 1 :] if e["agent"] == agent]
        assert following and following[0]["phase"] == "end", (agent, events)
    assert "schedule set to '0 3 * * *' as asked" in [e["message"] for e in events]
    later = airflow_api.call("GET", f"/requests/{draft['request_id']}?after=2").json()["events"]
    assert [e["seq"] for e in later] == [e["seq"] for e in events[2:]]


def test_the_stored_run_marker_is_the_runs_marker_once_copied(draft: dict[str, Any]) -> None:
    from airflow_ai_etl.plugins.airflow_side import generation_markers

    request = default_store().get_request(draft["request_id"])
    assert request is not None and request.dag_run_id
    markers = generation_markers([request.dag_run_id, "no_such_run"])
    assert list(markers) == [request.dag_run_id]  # a run Airflow does not have has no marker
    run_state, task_state, _, xcoms = markers[request.dag_run_id].split("|")
    assert (run_state, task_state, xcoms) == ("success", "success", "2")  # events and return_value
    assert request.run_marker == markers[request.dag_run_id]  # the last copy saw the run as it is


def test_a_store_migrated_by_a_newer_version_is_refused_naming_both(airflow_api: AirflowApi) -> None:
    from sqlalchemy import text

    from airflow_ai_etl.store import engine
    from airflow_ai_etl.store.migrate import VERSION_TABLE, head

    store = default_store()
    with store.engine.begin() as connection:
        connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '9001'"))
    engine._engine_for.cache_clear()  # as a freshly started api-server would find it
    try:
        response = airflow_api.call("GET", "/requests")
        assert response.status_code == 503
        assert (
            "revision 9001" in response.json()["detail"] and f"revision {head()}" in response.json()["detail"]
        )
    finally:
        with store.engine.begin() as connection:
            connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '{head()}'"))
        engine._engine_for.cache_clear()


def test_the_draft_has_everything_the_review_shows(draft: dict[str, Any]) -> None:
    assert draft["state"] == "ready" and draft["dag_id"] == DAG_ID and draft["version"] == 1
    assert draft["spec"]["schedule"] == "0 3 * * *"
    assert yaml.safe_load(draft["spec_yaml"])["dag_id"] == DAG_ID
    assert draft["source"].startswith("# airflow-ai-etl: generated DAG file")
    assert draft["report"]["ok"] is True
    step_ids = {s["id"] for s in draft["spec"]["steps"]}
    assert {n["id"] for n in draft["graph"]["nodes"]} == step_ids
    assert all(a in step_ids and b in step_ids for a, b in draft["graph"]["edges"])
    tables = {(t["conn_id"], t["name"]) for t in draft["er"]["tables"]}
    assert ("shop", "orders") in tables
    for conn_id in ("shop", "warehouse"):  # the source from its catalog, the target from its DDL
        orders = next(t for t in draft["er"]["tables"] if (t["conn_id"], t["name"]) == (conn_id, "orders"))
        assert [c["name"] for c in orders["columns"] if c["pk"]] == ["order_id"], conn_id
    assert draft["usage"] == {"by_agent": {}, "total_tokens": 0, "cost_usd": 0}  # offline: no model
    assert draft["deployed"] is None and draft["diff"] == ""


def test_validate_re_checks_against_current_schemas(airflow_api: AirflowApi, draft: dict[str, Any]) -> None:
    response = airflow_api.call("POST", f"/drafts/{draft['id']}/validate", "viewer1")
    assert response.status_code == 200
    assert response.json()["ok"] is True


def test_edit_makes_a_new_version_and_bad_edits_store_nothing(
    airflow_api: AirflowApi, draft: dict[str, Any]
) -> None:
    spec = yaml.safe_load(draft["spec_yaml"])
    spec["retries"] = 3
    edited = airflow_api.call(
        "PUT", f"/drafts/{draft['id']}", "op1", json={"spec_yaml": yaml.safe_dump(spec)}
    )
    assert edited.status_code == 201, edited.text
    new = edited.json()
    assert new["id"] != draft["id"] and new["parent_id"] == draft["id"] and new["version"] == 2
    assert new["spec"]["retries"] == 3 and '"retries": 3' in new["source"]
    assert airflow_api.call("GET", f"/drafts/{draft['id']}").json()["spec"]["retries"] != 3  # untouched

    store = default_store()
    for draft_id in (draft["id"], new["id"]):  # what pipeline memory checks before adapting it
        stored = store.get_draft(draft_id)
        assert stored is not None
        assert [k for k in stored.report["catalog_fingerprints"] if k.startswith("shop:")] == ["shop:orders"]
    before = _draft_count(store)
    broken_yaml = airflow_api.call("PUT", f"/drafts/{draft['id']}", "op1", json={"spec_yaml": "steps: [a: b"})
    assert broken_yaml.status_code == 422
    assert "line" in broken_yaml.json()["detail"][0]["msg"]

    spec["steps"][0]["id"] = "Bad Id"
    bad_field = airflow_api.call(
        "PUT", f"/drafts/{draft['id']}", "op1", json={"spec_yaml": yaml.safe_dump(spec)}
    )
    assert bad_field.status_code == 422
    assert bad_field.json()["detail"][0]["path"].startswith("steps[0]")

    spec["steps"][0]["id"] = "load_orders_x"
    transfer = next(s for s in spec["steps"] if s["kind"] == "transfer")
    transfer["source"] = {"conn_id": "shop", "table": "no_such_table"}
    invalid = airflow_api.call(
        "PUT", f"/drafts/{draft['id']}", "op1", json={"spec_yaml": yaml.safe_dump(spec)}
    )
    assert invalid.status_code == 422, invalid.text
    assert any("no_such_table" in d["msg"] for d in invalid.json()["detail"])

    missing = airflow_api.call("PUT", "/drafts/999999", "op1", json={"spec_yaml": draft["spec_yaml"]})
    assert missing.status_code == 404
    assert _draft_count(store) == before
    refused = _audit(airflow_api, user="op1", action="edit", outcome="refused")
    assert len(refused) >= 4


def _draft_count(store: Store) -> int:
    from sqlalchemy import func, select

    from airflow_ai_etl.store.models import DraftRow

    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(DraftRow)) or 0)


def test_malformed_json_is_a_422_and_is_audited(airflow_api: AirflowApi) -> None:
    headers = {**airflow_api.headers("op1"), "Content-Type": "application/json"}
    response = airflow_api.client.post("/ai-etl/api/requests", content=b'{"request": "x", ', headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"
    assert _audit(airflow_api, user="op1", action="request", outcome="refused")


def test_bad_request_fields_are_named(airflow_api: AirflowApi) -> None:
    body = {"request": "", "conn_ids": [], "schedule": "every tuesday", "dag_id": "9x", "surprise": 1}
    response = airflow_api.call("POST", "/requests", "op1", json=body)
    assert response.status_code == 422
    fields = {tuple(d["loc"][1:2]) for d in response.json()["detail"]}
    assert {("request",), ("conn_ids",), ("schedule",), ("dag_id",), ("surprise",)} <= fields
    unknown = airflow_api.call("POST", "/requests", "op1", json={"request": "copy", "conn_ids": ["nope"]})
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "conn_ids", 0]
    assert airflow_api.call("GET", "/requests/999999").status_code == 404
    assert airflow_api.call("GET", "/drafts/999999").status_code == 404


def test_deploy_is_idempotent_and_a_double_click_makes_one_version(
    airflow_api: AirflowApi, draft: dict[str, Any]
) -> None:
    def deploy() -> Any:
        return airflow_api.call("POST", f"/drafts/{draft['id']}/deploy", "op1")

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: deploy(), range(2))
    assert first.status_code == second.status_code == 200, (first.text, second.text)
    results = sorted([first.json(), second.json()], key=lambda r: not r["changed"])
    assert [r["changed"] for r in results] == [True, False]
    assert results[0]["version"] == results[1]["version"] == 1
    assert (airflow_api.dags_folder / "ai_etl" / f"{DAG_ID}.py").read_text() == draft["source"]
    again = deploy().json()
    assert (again["version"], again["changed"], again["airflow_url"]) == (1, False, f"/dags/{DAG_ID}")

    pipelines = airflow_api.call("GET", "/pipelines", "viewer1").json()
    assert [(p["dag_id"], p["version"], p["draft_id"]) for p in pipelines] == [(DAG_ID, 1, draft["id"])]
    reviewed = airflow_api.call("GET", f"/drafts/{draft['id']}").json()
    assert reviewed["deployed"] == {"version": 1, "draft_id": draft["id"]} and reviewed["diff"] == ""
    assert len(_audit(airflow_api, action="deploy", outcome="ok", target=f"draft:{draft['id']}")) == 3


# Runs after the deploy above: the pipeline is live at version 1.
def test_lineage_names_jobs_datasets_and_column_sources(
    airflow_api: AirflowApi, draft: dict[str, Any]
) -> None:
    dag_id = draft["dag_id"]
    response = airflow_api.call("GET", f"/pipelines/{dag_id}/lineage", "viewer1")
    assert response.status_code == 200, response.text
    lineage = response.json()
    assert lineage["dag_id"] == dag_id and lineage["version"] == 1
    assert lineage["job_namespace"] == "default" and lineage["lineage_url"] is None
    steps = {s["step_id"]: s for s in lineage["steps"]}
    assert list(steps) == [s["id"] for s in draft["spec"]["steps"]]
    assert all(s["job"] == f"{dag_id}.{s['step_id']}" for s in steps.values())

    loads = [s for s in steps.values() if s["kind"] == "transfer"]
    assert loads, lineage
    for load in loads:
        spec_step = next(s for s in draft["spec"]["steps"] if s["id"] == load["step_id"])
        target = spec_step["target"]["table"]
        assert [(w["conn_id"], w["table"]) for w in load["writes"]] == [("warehouse", target)]
        shop = f"sqlite://{airflow_api.data / 'shop.db'}"
        assert all(r["conn_id"] == "shop" and r["namespace"] == shop for r in load["reads"])
        by_column = {c["column"]: c for c in load["columns"]}
        assert by_column and all(c["table"] == target for c in by_column.values()), (spec_step, load)
        read_tables = {r["table"].split(".")[-1] for r in load["reads"]}
        for column in by_column.values():
            assert all(
                s["conn_id"] == "shop" and s["table"].split(".")[-1] in read_tables for s in column["sources"]
            )
        if "order_id" in by_column:
            assert {
                "kind": "table",
                "conn_id": "shop",
                "table": "orders",
                "column": "order_id",
                "transformation": "IDENTITY",
            } in (by_column["order_id"]["sources"])


def test_lineage_needs_read_access_and_a_deployed_pipeline(
    airflow_api: AirflowApi, draft: dict[str, Any]
) -> None:
    assert airflow_api.call("GET", f"/pipelines/{draft['dag_id']}/lineage", "scoped1").status_code == 403
    assert airflow_api.call("GET", f"/pipelines/{draft['dag_id']}/lineage", None).status_code == 401
    missing = airflow_api.call("GET", "/pipelines/never_deployed/lineage", "viewer1")
    assert missing.status_code == 404 and "never_deployed" in missing.json()["detail"]
    assert airflow_api.call("GET", "/pipelines/not-a-dag-id!/lineage", "viewer1").status_code == 422


def test_rollback_and_its_refusals(airflow_api: AirflowApi, draft: dict[str, Any]) -> None:
    only_one = airflow_api.call("POST", f"/pipelines/{DAG_ID}/rollback", "op1")
    assert only_one.status_code == 409, only_one.text
    assert airflow_api.call("POST", "/pipelines/never_deployed/rollback", "op1").status_code == 404
    assert airflow_api.call("POST", "/pipelines/..%2F..%2Fetc/rollback", "op1").status_code in (404, 422)

    spec = yaml.safe_load(draft["spec_yaml"])
    spec["retries"] = 4
    v2 = airflow_api.call("PUT", f"/drafts/{draft['id']}", "op1", json={"spec_yaml": yaml.safe_dump(spec)})
    assert v2.status_code == 201
    assert "retries" in v2.json()["diff"]  # against the live version 1
    deployed = airflow_api.call("POST", f"/drafts/{v2.json()['id']}/deploy", "admin1").json()
    assert (deployed["version"], deployed["changed"]) == (2, True)

    rolled = airflow_api.call("POST", f"/pipelines/{DAG_ID}/rollback", "admin1")
    assert rolled.status_code == 200, rolled.text
    assert (rolled.json()["version"], rolled.json()["draft_id"]) == (1, draft["id"])
    assert (airflow_api.dags_folder / "ai_etl" / f"{DAG_ID}.py").read_text() == draft["source"]
    live = airflow_api.call("GET", "/pipelines").json()[0]
    assert (live["version"], live["action"], live["deployed_by"]) == (1, "rollback", "admin1")
    assert _audit(airflow_api, user="admin1", action="rollback", outcome="ok")


def test_a_failed_draft_is_not_deployed(airflow_api: AirflowApi) -> None:
    store = default_store()
    request = store.create_request(request="copy unicorns", conn_ids=["shop"], created_by="op1")
    failed = store.add_draft(
        request_id=request.id,
        dag_id="unicorns",
        state="failed",
        reason="the spec does not validate (sql.unknown_table)",
        spec={"dag_id": "unicorns"},
        created_by="op1",
    )
    response = airflow_api.call("POST", f"/drafts/{failed.id}/deploy", "op1")
    assert response.status_code == 409
    assert "sql.unknown_table" in response.json()["detail"]["message"]
    assert not (airflow_api.dags_folder / "ai_etl" / "unicorns.py").exists()
    assert airflow_api.call("POST", "/drafts/999999/deploy", "op1").status_code == 404
    refused = _audit(airflow_api, action="deploy", outcome="refused")
    assert {r["target"] for r in refused} >= {f"draft:{failed.id}", "draft:999999"}


def test_a_test_run_needs_a_parsed_pipeline(airflow_api: AirflowApi) -> None:
    assert airflow_api.call("POST", "/pipelines/not_ours/runs", "op1").status_code == 404
    # Deployed, but no dag-processor has parsed it in this test: a clear 409, not a run.
    response = airflow_api.call("POST", f"/pipelines/{DAG_ID}/runs", "op1")
    assert response.status_code == 409, response.text
    assert "not parsed" in response.json()["detail"]
    schedule = airflow_api.call("PUT", f"/pipelines/{DAG_ID}/schedule", "op1", json={"on": True})
    assert schedule.status_code == 409 and "not parsed" in schedule.json()["detail"]
    assert airflow_api.call("GET", f"/pipelines/{DAG_ID}/runs/nope").status_code == 404
    [pipeline] = airflow_api.call("GET", "/pipelines").json()
    assert (pipeline["parsed"], pipeline["paused"], pipeline["schedule"]) == (False, None, None)


def test_a_test_run_leaves_the_schedule_off_and_turning_it_on_is_separate(airflow_api: AirflowApi) -> None:
    reserialize(airflow_api)
    [pipeline] = airflow_api.call("GET", "/pipelines").json()
    assert (pipeline["parsed"], pipeline["paused"], pipeline["schedule"]) == (True, True, "0 3 * * *")
    assert pipeline["next_run_after"] is None

    started = airflow_api.call("POST", f"/pipelines/{DAG_ID}/runs", "op1")
    assert started.status_code == 201, started.text
    run = started.json()
    assert run["schedule_on"] is False and run["run_id"].startswith("manual__")
    deadline = time.monotonic() + 240
    while run["state"] not in ("success", "failed") and time.monotonic() < deadline:
        time.sleep(1)
        response = airflow_api.call("GET", f"/pipelines/{DAG_ID}/runs/{quote(run['run_id'], safe='')}")
        assert response.status_code == 200, response.text
        run = response.json()
    assert run["state"] == "success", run
    assert run["schedule_on"] is False  # the DAG stayed paused through the run
    [pipeline] = airflow_api.call("GET", "/pipelines").json()
    assert (pipeline["paused"], pipeline["state"], pipeline["last_run_id"]) == (
        True,
        "success",
        run["run_id"],
    )
    assert _audit(airflow_api, user="op1", action="test_run", outcome="ok", target=f"dag:{DAG_ID}")

    assert (
        airflow_api.call("PUT", f"/pipelines/{DAG_ID}/schedule", "viewer1", json={"on": True}).status_code
        == 403
    )
    on = airflow_api.call("PUT", f"/pipelines/{DAG_ID}/schedule", "op1", json={"on": True})
    assert on.status_code == 200, on.text
    assert (on.json()["on"], on.json()["schedule"]) == (True, "0 3 * * *") and on.json()["next_run_after"]
    [pipeline] = airflow_api.call("GET", "/pipelines").json()
    assert pipeline["paused"] is False
    off = airflow_api.call("PUT", f"/pipelines/{DAG_ID}/schedule", "op1", json={"on": False}).json()
    assert (off["on"], off["next_run_after"]) == (False, None)
    bad = airflow_api.call("PUT", f"/pipelines/{DAG_ID}/schedule", "op1", json={"on": "maybe"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "on"]


def test_openapi_documents_the_routes(airflow_api: AirflowApi) -> None:
    schema = airflow_api.client.get("/ai-etl/api/openapi.json", headers=airflow_api.headers("viewer1")).json()
    assert {"/api/requests", "/api/drafts/{draft_id}/deploy", "/api/pipelines/{dag_id}/rollback"} <= set(
        schema["paths"]
    )
    docs = airflow_api.client.get("/ai-etl/api/docs", headers=airflow_api.headers("viewer1"))
    assert docs.status_code == 200 and "/ai-etl/api/openapi.json" in docs.text
    json.dumps(schema)


def test_a_request_whose_generation_run_failed_is_failed(airflow_api: AirflowApi) -> None:
    """A worker that dies before it reaches the store must not leave the page waiting forever."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from sqlalchemy import update

    body = {"request": REQUEST, "conn_ids": ["shop", "warehouse"], "offline": True}
    created = airflow_api.call("POST", "/requests", "op1", json=body).json()
    still_open = airflow_api.call("GET", f"/requests/{created['id']}").json()
    assert still_open["state"] == "queued" and still_open["error"] is None
    with create_session() as session:
        session.execute(
            update(DagRun)
            .where(DagRun.dag_id == "ai_etl_generate", DagRun.run_id == created["dag_run_id"])
            .values(state=DagRunState.FAILED)
        )
    failed = airflow_api.call("GET", f"/requests/{created['id']}").json()
    assert failed["state"] == "failed"
    assert created["dag_run_id"] in failed["error"] and "task log" in failed["error"]


def test_the_git_target_deploys_and_rolls_back_through_the_same_api(
    airflow_api: AirflowApi, draft: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = tmp_path / "dags.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    monkeypatch.setenv("AIRFLOW__AI_ETL__DEPLOY_TARGET", "git")
    monkeypatch.setenv("AIRFLOW__AI_ETL__DEPLOY_GIT_CLONE_DIR", str(tmp_path / "clone"))
    monkeypatch.setenv("AIRFLOW_CONN_AI_ETL_GIT", json.dumps({"conn_type": "git", "host": str(bare)}))

    spec = yaml.safe_load(draft["spec_yaml"])
    versions = []
    for retries in (1, 2):
        spec |= {"dag_id": "orders_by_git", "retries": retries}
        edited = airflow_api.call(
            "PUT", f"/drafts/{draft['id']}", "op1", json={"spec_yaml": yaml.safe_dump(spec)}
        )
        assert edited.status_code == 201, edited.text
        deployed = airflow_api.call("POST", f"/drafts/{edited.json()['id']}/deploy", "op1")
        assert deployed.status_code == 200, deployed.text
        assert "pushed commit" in deployed.json()["message"]
        versions.append(deployed.json()["version"])
    assert versions == [1, 2]
    assert not (airflow_api.dags_folder / "ai_etl" / "orders_by_git.py").exists()  # git, not the folder

    rolled = airflow_api.call("POST", "/pipelines/orders_by_git/rollback", "admin1")
    assert rolled.status_code == 200, rolled.text
    assert airflow_api.call("POST", "/pipelines/never_in_git/rollback", "admin1").status_code == 404
    log = subprocess.run(
        ["git", "-C", str(bare), "log", "--format=%s", "main"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert log == [
        "roll back orders_by_git to version 1 (approved by admin1)",
        "deploy orders_by_git version 2 (approved by op1)",
        "deploy orders_by_git version 1 (approved by op1)",
    ]


def test_the_pickers_mark_a_connection_whose_provider_is_missing(
    airflow_api: AirflowApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_LEGACY", json.dumps({"conn_type": "mysql", "host": "db"}))
    conns = {c["conn_id"]: c for c in airflow_api.call("GET", "/connections", "viewer1").json()}
    assert conns["shop"]["missing"] is None
    assert "connection type 'mysql' cannot be used here" in conns["legacy"]["missing"]
    assert "provider package" in conns["legacy"]["missing"]


# --- budgets: a spent user budget is a 429 (the app is this module's, so no second one is built) ---


@pytest.fixture
def spent_budget(monkeypatch: pytest.MonkeyPatch, redis_prefix: str) -> None:  # noqa: F811
    prefix = redis_prefix
    monkeypatch.setenv("AIRFLOW_CONN_AI_ETL_API_BUDGET", REDIS_URL)
    monkeypatch.setenv("AIRFLOW__AI_ETL__CACHE_CONN_ID", "ai_etl_api_budget")
    monkeypatch.setenv("AIRFLOW__AI_ETL__CACHE_KEY_PREFIX", prefix)
    monkeypatch.setenv("AIRFLOW__AI_ETL__USER_TOKENS_PER_DAY", "500")
    build_budgets(budget_settings()).charge(Subject("user", "op1"), tokens=800, cost_usd=None)


def test_a_spent_budget_is_a_429_naming_the_limit_with_retry_after(
    airflow_api: AirflowApi, spent_budget
) -> None:
    body = {"request": REQUEST, "conn_ids": ["shop", "warehouse"]}
    response = airflow_api.call("POST", "/requests", "op1", json=body)
    assert response.status_code == 429, response.text
    assert 0 < int(response.headers["Retry-After"]) <= 86400
    detail = response.json()["detail"]
    assert (
        "user 'op1'" in detail and "500 tokens per day" in detail and "[ai_etl] user_tokens_per_day" in detail
    )
    audit = airflow_api.call("GET", "/audit").json()
    assert any(entry["outcome"] == "refused" and entry["detail"].get("status") == 429 for entry in audit)


def test_the_pipeline_list_shows_each_pipelines_model_usage_and_cache_savings(
    airflow_api: AirflowApi,
) -> None:
    store = default_store()
    request = store.create_request(request="copy orders", conn_ids=["shop"], created_by="op1")
    usage = [
        AgentUsage(agent="planner", requests=2, input_tokens=900, output_tokens=100, cost_usd=0.01),
        AgentUsage(agent="sql_expert", cache_hits=1, saved_input_tokens=400, saved_output_tokens=50),
    ]
    draft = store.add_draft(
        request_id=request.id, dag_id="usage_shown", state="ready", created_by="op1", usage=usage
    )
    store.record_deployment(
        dag_id="usage_shown",
        version=1,
        action="deploy",
        draft_id=draft.id,
        path="ai_etl/usage_shown.py",
        spec_sha256="0" * 64,
        deployed_by="op1",
    )
    listed = {p["dag_id"]: p for p in airflow_api.call("GET", "/pipelines", "viewer1").json()}
    assert listed["usage_shown"]["usage"] == {
        "calls": 2,
        "tokens": 1000,
        "cost_usd": 0.01,
        "cache_hits": 1,
        "saved_tokens": 450,
        "saved_cost_usd": 0.0,
    }


TRANSFORM_SPEC = """
dag_id: customer_domains
start_date: 2026-01-01
steps:
  - id: create_domains
    kind: sql
    conn_id: warehouse
    sql: CREATE TABLE customer_domains (id INTEGER, initial TEXT)
  - id: email_domains
    kind: python_transform
    depends_on: [create_domains]
    source: {conn_id: shop, sql: "SELECT customer_id AS id, name FROM customers"}
    target: {conn_id: warehouse, table: customer_domains}
    code: |
      import pyarrow as pa

      def transform(batch):
          initials = [n[:1].upper() if n else None for n in batch.column("name").to_pylist()]
          return pa.RecordBatch.from_arrays([batch.column("id"), pa.array(initials)], ["id", "initial"])
"""


def test_python_code_deploys_only_with_an_audited_approval(
    airflow_api: AirflowApi, draft: dict[str, Any]
) -> None:
    hostile = TRANSFORM_SPEC.replace("import pyarrow as pa", "import os\n      import pyarrow as pa")
    refused = airflow_api.call("PUT", f"/drafts/{draft['id']}", "op1", json={"spec_yaml": hostile})
    assert refused.status_code == 422
    assert any("line 1: import os" in d["msg"] for d in refused.json()["detail"]), refused.text

    edited = airflow_api.call("PUT", f"/drafts/{draft['id']}", "op1", json={"spec_yaml": TRANSFORM_SPEC})
    assert edited.status_code == 201, edited.text
    code_draft = edited.json()
    (file,) = code_draft["files"]
    assert file["is_code"] and not file["live"] and "def transform(batch)" in file["text"]

    unapproved = airflow_api.call("POST", f"/drafts/{code_draft['id']}/deploy", "op1")
    assert unapproved.status_code == 409
    assert "approve" in unapproved.json()["detail"]["message"]
    assert not (airflow_api.dags_folder / "ai_etl" / "customer_domains.py").exists()

    viewer = airflow_api.call(
        "POST", f"/drafts/{code_draft['id']}/deploy", "viewer1", json={"approve_code": True}
    )
    assert viewer.status_code == 403  # approval needs edit permission on the DAG

    approved = airflow_api.call(
        "POST", f"/drafts/{code_draft['id']}/deploy", "op1", json={"approve_code": True}
    )
    assert approved.status_code == 200, approved.text
    assert (airflow_api.dags_folder / "ai_etl" / file["path"]).read_text() == file["text"]
    (entry,) = _audit(airflow_api, action="deploy", outcome="ok", target=f"draft:{code_draft['id']}")
    assert entry["detail"]["code_approved"] == [
        {"step_id": "email_domains", "path": file["path"], "sha256": file["sha256"]}
    ]


def test_an_er_diagram_upload_becomes_a_draft_and_bad_images_are_4xx(
    airflow_api: AirflowApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support import scripted_llm
    from tests.support.png import write_png

    png = write_png(tmp_path / "er.png").read_bytes()
    url = "/requests/image?conn_id=warehouse&dag_id=supplier_tables"
    not_image = airflow_api.call("POST", url, "op1", content=b"CREATE TABLE x (id int)")
    assert not_image.status_code == 415 and "not a PNG or JPEG" in not_image.json()["detail"]
    unknown = airflow_api.call("POST", "/requests/image?conn_id=nope", "op1", content=png)
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["query", "conn_id"]
    monkeypatch.setenv("AIRFLOW__AI_ETL__IMAGE_MAX_MB", "0.0001")
    too_large = airflow_api.call("POST", url, "op1", content=png)
    assert too_large.status_code == 413 and "image_max_mb" in too_large.json()["detail"]
    monkeypatch.delenv("AIRFLOW__AI_ETL__IMAGE_MAX_MB")

    tables = {
        "tables": [{"name": "suppliers", "columns": [{"name": "id", "type": "integer", "primary_key": True}]}]
    }
    with scripted_llm.running() as server:
        monkeypatch.setenv("AIRFLOW_CONN_VISION_TEST", json.dumps(server.connection()))
        monkeypatch.setenv("AIRFLOW__AI_ETL__LLM_CONN_ID", "vision_test")
        created = airflow_api.call("POST", url, "op1", content=png)
        assert created.status_code == 202, created.text
        request = created.json()
        # Stored with its image and queued for a worker; the api-server asked no model.
        assert request["state"] == "queued" and request["draft_id"] is None, request
        assert server.requests == []
        assert default_store().request_image(request["id"]) == ("image/png", png)
        server.script(scripted_llm.output(tables))
        run_generation(airflow_api, request["id"])  # the worker's task: the vision call happens here
        assert len(server.requests) == 1
    request = airflow_api.call("GET", f"/requests/{request['id']}", "op1").json()
    assert request["state"] == "ready" and request["draft_id"], request
    assert "vision" in [e["agent"] for e in request["events"]]
    upload = airflow_api.call("GET", f"/drafts/{request['draft_id']}", "viewer1").json()
    assert upload["dag_id"] == "supplier_tables" and "CREATE TABLE suppliers" in upload["spec_yaml"]
    assert [t["name"].rsplit(".", 1)[-1] for t in upload["er"]["tables"]] == ["suppliers"]


def test_a_pipeline_deployed_by_the_cli_has_lineage_from_its_live_spec(
    airflow_api: AirflowApi, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ai-etl deploy spec.yaml` records no draft: the route reads the spec live beside the DAG file."""
    from airflow_ai_etl.cli import main

    dag_id = "cli_deployed_lineage"
    export = airflow_api.data / "big_orders.csv"
    spec = {
        "dag_id": dag_id,
        "schedule": "@daily",
        "start_date": "2026-01-01",
        "steps": [
            {
                "id": "big_orders",
                "kind": "sql",
                "conn_id": "shop",
                "sql": "CREATE TABLE big_orders AS SELECT order_id, status FROM orders WHERE status <> 'new'",
            },
            {
                "id": "export_big",
                "kind": "file_export",
                "depends_on": ["big_orders"],
                "source": {
                    "conn_id": "shop",
                    "sql": "SELECT order_id AS id, upper(status) AS state FROM big_orders",
                },
                "path": str(export),
                "format": "csv",
            },
        ],
    }
    path = airflow_api.data / f"{dag_id}.yaml"
    path.write_text(yaml.safe_dump(spec))
    code = main(["deploy", str(path)])
    assert code == 0, capsys.readouterr()
    assert default_store().live_deployment(dag_id) is None  # nothing in the store: the CLI's deploy

    response = airflow_api.call("GET", f"/pipelines/{dag_id}/lineage", "viewer1")
    assert response.status_code == 200, response.text
    lineage = response.json()
    assert (lineage["dag_id"], lineage["version"]) == (dag_id, 1)
    create, dump = lineage["steps"]
    shop = f"sqlite://{airflow_api.data / 'shop.db'}"
    assert [(t["table"], t["namespace"]) for t in create["writes"]] == [("big_orders", shop)]
    assert {c["column"]: [(s["table"], s["column"]) for s in c["sources"]] for c in create["columns"]} == {
        "order_id": [("orders", "order_id")],
        "status": [("orders", "status")],
    }
    assert dump["writes"] == [{"kind": "file", "conn_id": None, "table": str(export), "namespace": "file"}]
    assert {
        c["column"]: [(s["table"], s["column"], s["transformation"]) for s in c["sources"]]
        for c in dump["columns"]
    } == {
        "id": [("big_orders", "order_id", "IDENTITY")],
        "state": [("big_orders", "status", "TRANSFORMATION")],
    }
    assert {c["table"] for c in dump["columns"]} == {str(export)}
