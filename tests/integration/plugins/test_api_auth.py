"""Permissions through the real Airflow app: 401 without a login, 403 for a viewer on writes,
success for op and admin; the page itself needs a login too."""

from __future__ import annotations

import pytest

from tests.integration.plugins.conftest import REQUEST, AirflowApi

pytestmark = pytest.mark.integration


def test_every_route_needs_a_login(airflow_api: AirflowApi) -> None:
    for method, path in [
        ("GET", "/ai-etl/"),
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
