"""Permissions through the real Airflow app: 401 without a login, 403 for a viewer on writes,
success for op and admin; the page itself needs a login too."""

from __future__ import annotations

import re

import pytest

from tests.integration.plugins.conftest import REQUEST, SCOPED_DAGS, AirflowApi

pytestmark = pytest.mark.integration


def test_every_route_needs_a_login(airflow_api: AirflowApi) -> None:
    for method, path in [
        ("GET", "/ai-etl/static/app.js"),
        ("GET", "/ai-etl/api/openapi.json"),
        ("GET", "/ai-etl/api/pipelines"),
        ("GET", "/ai-etl/api/connections"),
        ("GET", "/ai-etl/api/requests/1"),
        ("POST", "/ai-etl/api/requests"),
        ("POST", "/ai-etl/api/drafts/1/deploy"),
        ("POST", "/ai-etl/api/pipelines/x/rollback"),
    ]:
        response = airflow_api.client.request(method, path)
        assert response.status_code == 401, (method, path, response.text)


@pytest.mark.parametrize("path", ["/ai-etl/", "/ai-etl/api/docs"])
def test_a_logged_out_browser_is_sent_to_airflows_login_and_back(airflow_api: AirflowApi, path: str) -> None:
    response = airflow_api.client.get(path, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/api/v2/auth/login?next=%2Fplugin%2Fai-etl"
    login = airflow_api.client.get(response.headers["location"], follow_redirects=False)
    assert login.status_code in (302, 307) and "next=%2Fplugin%2Fai-etl" in login.headers["location"]


def test_the_api_docs_load_only_files_the_plugin_serves(airflow_api: AirflowApi) -> None:
    headers = airflow_api.headers("viewer1")
    html = airflow_api.client.get("/ai-etl/api/docs", headers=headers).text
    urls = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", html)
    assert urls and all(url.startswith("/ai-etl/") for url in urls), urls
    assert '"validatorUrl": null' in html  # no validity badge from validator.swagger.io
    for url in urls:
        assert airflow_api.client.get(url, headers=headers).status_code == 200, url


def test_a_garbage_token_is_refused(airflow_api: AirflowApi) -> None:
    response = airflow_api.client.get("/ai-etl/api/pipelines", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 403


def test_the_cookie_authenticates_like_airflows_ui(airflow_api: AirflowApi) -> None:
    airflow_api.client.cookies.set("_token", airflow_api.tokens["viewer1"])
    try:
        response = airflow_api.client.get("/ai-etl/api/pipelines")
    finally:
        airflow_api.client.cookies.clear()
    assert response.status_code == 200


@pytest.mark.parametrize("user", ["viewer1", "op1", "admin1"])
def test_every_role_may_read(airflow_api: AirflowApi, user: str) -> None:
    for path in ["/pipelines", "/requests", "/connections", "/audit"]:
        response = airflow_api.call("GET", path, user)
        assert response.status_code == 200, (user, path, response.text)
    conns = {c["conn_id"]: c["conn_type"] for c in airflow_api.call("GET", "/connections", user).json()}
    assert conns["shop"] == "sqlite" and conns["warehouse"] == "sqlite"


def test_a_viewer_may_not_generate_or_deploy_and_the_refusal_is_audited(airflow_api: AirflowApi) -> None:
    body = {"request": REQUEST, "conn_ids": ["shop", "warehouse"], "offline": True}
    assert airflow_api.call("POST", "/requests", "viewer1", json=body).status_code == 403
    assert airflow_api.call("POST", "/drafts/1/deploy", "viewer1").status_code == 403
    assert airflow_api.call("PUT", "/drafts/1", "viewer1", json={"spec_yaml": "x: 1"}).status_code == 403
    assert airflow_api.call("POST", "/pipelines/some_dag/rollback", "viewer1").status_code == 403
    assert airflow_api.call("POST", "/pipelines/some_dag/runs", "viewer1").status_code == 403
    audit = airflow_api.call("GET", "/audit?limit=20").json()
    refused = {(a["user"], a["action"]) for a in audit if a["outcome"] == "refused"}
    expected = {("viewer1", action) for action in ("request", "deploy", "edit", "rollback", "test_run")}
    assert expected <= refused


@pytest.mark.parametrize("user", ["op1", "admin1"])
def test_op_and_admin_may_generate(airflow_api: AirflowApi, user: str) -> None:
    body = {"request": REQUEST, "conn_ids": ["shop", "warehouse"], "offline": True, "schedule": "@daily"}
    response = airflow_api.call("POST", "/requests", user, json=body)
    assert response.status_code == 202, response.text
    out = response.json()
    assert out["state"] == "queued" and out["created_by"] == user and out["dag_run_id"]
    assert out["conn_ids"] == ["shop", "warehouse"] and out["schedule"] == "@daily"
    fetched = airflow_api.call("GET", f"/requests/{out['id']}", "viewer1").json()
    assert fetched["id"] == out["id"] and fetched["events"] == []
    # No scheduler runs here: the page is told the run waits for it, since when, and on which executor.
    waiting = fetched["waiting"]
    assert waiting["waiting_for"] == "the scheduler to start the run" and waiting["since"], waiting
    assert waiting["executor"]


def test_me_says_what_each_role_may_do_and_why_not(airflow_api: AirflowApi) -> None:
    viewer = airflow_api.call("GET", "/me", "viewer1").json()
    assert viewer["user"] == "viewer1" and viewer["may"]["read"] is True
    assert not any(viewer["may"][a] for a in ("generate", "edit", "deploy", "rollback", "run", "schedule"))
    assert "viewer1 has no PUT permission" in viewer["why_not"]["deploy"]
    op = airflow_api.call("GET", "/me?dag=orders_to_warehouse", "op1").json()
    assert op["dag_id"] == "orders_to_warehouse" and all(op["may"].values()) and op["why_not"] == {}
    scoped = airflow_api.call("GET", f"/me?dag={SCOPED_DAGS[0]}", "scoped1").json()
    assert scoped["may"]["read"] is True and scoped["may"]["deploy"] is False
    assert airflow_api.call("GET", "/me?dag=other_dag", "scoped1").json()["may"]["read"] is False
    bad = airflow_api.call("GET", "/me?dag=9 bad", "op1")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "dag"]


def test_requests_drafts_and_audit_are_visible_per_dag(airflow_api: AirflowApi) -> None:
    from airflow_ai_etl.store import default_store

    store = default_store()
    rows = {}
    for name, dag_id, user in [
        ("granted", SCOPED_DAGS[0], "op1"),
        ("other", "other_dag", "op1"),
        ("unplanned", None, "op1"),
        ("own", None, "scoped1"),
    ]:
        row = store.create_request(
            request=f"{name} request", conn_ids=["shop"], created_by=user, dag_id=dag_id
        )
        draft = {"dag_id": dag_id, "state": "failed", "created_by": user, "reason": "test row"}
        assert store.finish_request(row.id, state="failed", error="test row", draft=draft)  # type: ignore[typeddict-item]
        stored = store.get_request(row.id)
        assert stored is not None and stored.draft_id
        rows[name] = stored
        store.audit(user=user, action="edit", target=f"draft:{stored.draft_id}", outcome="refused")
    store.audit(user="op1", action="rollback", target="dag:other_dag", outcome="refused")

    def seen(user: str) -> set[str]:
        requests = airflow_api.call("GET", "/requests?limit=500", user).json()
        return {name for name, row in rows.items() if row.id in {r["id"] for r in requests}}

    assert seen("scoped1") == {"granted", "own"}
    assert seen("viewer1") == seen("admin1") == set(rows)  # they may read every DAG
    for name, status in [("granted", 200), ("own", 200), ("other", 403), ("unplanned", 403)]:
        row = rows[name]
        response = airflow_api.call("GET", f"/requests/{row.id}", "scoped1")
        assert response.status_code == status, (name, response.text)
        assert airflow_api.call("GET", f"/drafts/{row.draft_id}", "scoped1").status_code == status, name
    refused = airflow_api.call("GET", f"/drafts/{rows['other'].draft_id}", "scoped1").json()["detail"]
    assert "other_dag" in refused and "may not read" in refused
    unplanned = airflow_api.call("GET", f"/requests/{rows['unplanned'].id}", "scoped1").json()["detail"]
    assert "op1's and names no DAG yet" in unplanned

    audit = airflow_api.call("GET", "/audit?limit=1000", "scoped1").json()
    targets = {a["target"] for a in audit}
    assert {f"draft:{rows['granted'].draft_id}", f"draft:{rows['own'].draft_id}"} <= targets
    assert (
        not {f"draft:{rows['other'].draft_id}", f"draft:{rows['unplanned'].draft_id}", "dag:other_dag"}
        & targets
    )
    everything = {a["target"] for a in airflow_api.call("GET", "/audit?limit=1000", "admin1").json()}
    assert "dag:other_dag" in everything and f"draft:{rows['unplanned'].draft_id}" in everything


def test_the_doctors_problems_with_their_fixes_are_for_those_who_may_read_connections(
    airflow_api: AirflowApi,
) -> None:
    assert airflow_api.call("GET", "/doctor", None).status_code == 401
    assert airflow_api.call("GET", "/doctor", "viewer1").status_code == 403  # hosts, folders, remotes
    response = airflow_api.call("GET", "/doctor", "op1")
    assert response.status_code == 200, response.text
    findings = {f["check"]: f for f in response.json()}
    assert {
        "metadata database",
        "providers",
        "system DAG",
        "deploy target",
        "store",
        "model",
        "redis",
        "plugin",
    } <= set(findings)
    assert findings["metadata database"]["ok"] and findings["providers"]["ok"]
    # No api-server listens where [api] base_url points in this test: the full list says so, with the fix.
    plugin = findings["plugin"]
    assert not plugin["ok"] and "no api-server answers" in plugin["message"]
    assert plugin["fix"].startswith("start the api-server")
