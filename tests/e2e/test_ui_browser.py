"""The AI ETL page in a real browser inside a real Airflow: log in through Airflow's login page, open
the page from Airflow's navigation, ask for a pipeline in plain language (offline planner), watch the
agents' progress, review the draft's tabs (an invalid edit marked inline in the editor), approve &
deploy, find the DAG in Airflow's DAG list, and test-run it to success from the page while it stays
paused; the warehouse then holds the shop's customers. A viewer sees the page without the actions a
viewer may not take; an editor (SimpleAuthManager's `user` role) gets every pipeline action, has an
invalid edit marked inline and turns the schedule on and off, yet may not read Airflow's
connections as an admin may; and the API docs load with every address outside Airflow cut off.

Airflow runs as in production (api-server, scheduler with LocalExecutor, dag-processor, triggerer,
PostgreSQL metadata, SimpleAuthManager); the browser is Debian's headless Chromium driven by
Playwright. Screenshots of every stage land in test-artifacts/ui_browser/.
"""

from __future__ import annotations

import json
import runpy
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.conftest import ARTIFACTS, REPO, Airflow, free_port, healthy

pytestmark = pytest.mark.e2e

SHOTS = ARTIFACTS / "ui_browser"
ADMIN, PASSWORD = "admin", "ai-etl-e2e-admin-pw"
VIEWER, VIEWER_PASSWORD = "viewer", "ai-etl-e2e-viewer-pw"
EDITOR, EDITOR_PASSWORD = "editor", "ai-etl-e2e-editor-pw"
REQUEST = "every day at 2am copy new customers into the warehouse; customer_id must be unique"
DAG_ID = "customers_to_warehouse"  # what the offline planner names this request's DAG
#: Browser-side waits (milliseconds): each bounded, together well inside the test's budget.
PAGE_MS = 60_000
GENERATE_MS = 120_000
RUN_MS = 150_000


def _new_page(browser: Any) -> Any:
    """A page of its own browser context: its own cookies, so each user logs in separately."""
    page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
    page.set_default_timeout(PAGE_MS)
    return page


def _shot(page: Any, name: str, focus: Any = None) -> None:
    """Screenshot of the whole window; `focus` (a locator in the page's iframe) is scrolled into view
    first, since the iframe scrolls on its own and a full-page shot of Airflow would not show it."""
    if focus is not None:
        focus.evaluate("node => node.scrollIntoView({block: 'start'})")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@dataclass
class Shop:
    source: Path
    warehouse: Path


def _demo_databases(airflow_conn: Callable[..., None], folder: Path) -> Shop:
    """The demo shop (SQLite) and an empty warehouse, as Airflow connections `shop` and `warehouse`."""
    shop = Shop(source=folder / "shop.db", warehouse=folder / "warehouse.db")
    runpy.run_path(str(REPO / "examples/demo/shop_db.py"))["create_shop_db"](shop.source)
    sqlite3.connect(shop.warehouse).close()
    airflow_conn("shop", conn_type="sqlite", host=str(shop.source))
    airflow_conn("warehouse", conn_type="sqlite", host=str(shop.warehouse))
    return shop


def _start_airflow(airflow: Airflow) -> str:
    """api-server, scheduler, dag-processor and triggerer with SimpleAuthManager and the system DAG;
    returns the api-server's base URL once it answers and ai_etl_generate is parsed."""
    # SimpleAuthManager with a known admin: the password file it would otherwise generate.
    (airflow.session.home / "simple_auth_manager_passwords.json.generated").write_text(
        json.dumps({ADMIN: PASSWORD, VIEWER: VIEWER_PASSWORD, EDITOR: EDITOR_PASSWORD})
    )
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    airflow.extra.update(
        {
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin,{VIEWER}:viewer,{EDITOR}:user",
            "AIRFLOW__API__BASE_URL": base_url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
            "AIRFLOW__AI_ETL__LLM_CONN_ID": "",  # no model: the offline planner
            # The scheduler looks for new runs often: the request's run starts without delay.
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
        }
    )
    airflow.start("api-server", "api-server", "--host", "127.0.0.1", "--port", str(port))
    airflow.start("scheduler", "scheduler")
    airflow.start("dag-processor", "dag-processor")
    airflow.start("triggerer", "triggerer")
    # While they start: the system DAG, installed as documented (import check, parse request).
    airflow.run("ai-etl", "install-system-dag", "--dags-folder", str(airflow.dags_folder))
    airflow.wait_until("the api-server", lambda: healthy(f"{base_url}/api/v2/monitor/health"))
    # As the README asks of a deployment's readiness probe: the execution API initialises on its
    # first call, which would otherwise be the first generation task's (tens of seconds under load).
    airflow.wait_until("the execution API", lambda: healthy(f"{base_url}/execution/health"))
    airflow.wait_until(
        "the system DAG ai_etl_generate to be parsed",
        lambda: airflow.metadata_query("SELECT 1 FROM dag WHERE dag_id = 'ai_etl_generate' AND NOT is_stale"),
    )
    return base_url


def _log_in(page: Any, base_url: str, user: str = ADMIN, password: str = PASSWORD) -> None:
    """Logged out, the page sends the browser to Airflow's own login page, and back after it."""
    page.goto(f"{base_url}/ai-etl/")
    page.wait_for_selector("input[name=username]")
    _shot(page, f"01-airflow-login-{user}")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/plugin/ai-etl**")
    page.get_by_role("button", name="Browse").wait_for()


def _open_from_navigation(page: Any) -> Any:
    """AI ETL, a top-level entry of Airflow's navigation; the page renders in Airflow's iframe."""
    page.goto(page.url.split("/plugin/")[0].rstrip("/") + "/")
    page.get_by_role("button", name="Browse").wait_for()
    _shot(page, "02-airflow-home")
    page.get_by_role("link", name="AI ETL").or_(page.get_by_role("button", name="AI ETL")).first.click()
    frame = page.frame_locator("iframe")
    frame.locator("#pipelines .empty, #pipelines table").first.wait_for()
    return frame


def _review_tabs(page: Any, frame: Any) -> None:
    """Every tab of the draft shows what it is for."""
    assert DAG_ID in frame.locator("#draft-title").inner_text()
    assert frame.locator("[data-panel=graph] svg .node").count() >= 3  # create table -> load -> check
    assert frame.locator("[data-panel=graph] svg .edge").count() >= 2
    _shot(page, "05-draft-graph", frame.locator("#draft-card"))
    frame.locator("[data-tab=er]").click()
    assert frame.locator("[data-panel=er] .er-table[data-table=customers]").count() == 2  # shop, warehouse
    assert frame.locator("[data-panel=er] .flow[data-step=load_customers]").count() == 1
    _shot(page, "06-draft-er", frame.locator("#draft-card"))
    frame.locator("[data-tab=spec]").click()
    spec_yaml = _draft_spec(page)
    assert f"dag_id: {DAG_ID}" in spec_yaml and "mode: incremental" in spec_yaml
    assert "sql: |" in spec_yaml  # SQL as a literal block, not a quoted string with escapes
    editor = frame.locator("#spec-editor .cm-content")
    assert frame.locator("#spec-editor .cm-lineNumbers").count() == 1
    assert frame.locator("#spec-editor .cm-content span").count() > 20  # highlighted, not plain text
    # An edit into an invalid spec is refused, the field at fault is marked at its line, nothing is saved.
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(spec_yaml.replace("mode: incremental", "mode: sideways"))
    frame.locator("#spec-validate").click()
    refused = frame.locator("#spec-result .banner-error")
    refused.wait_for()
    assert "Invalid input" in refused.inner_text() and "mode" in refused.inner_text()
    marked = frame.locator("#spec-editor .cm-line:has(.cm-lintRange-error)")
    marked.first.wait_for()
    assert "mode: sideways" in marked.first.inner_text()
    _shot(page, "07a-spec-refused-inline", frame.locator("#draft-card"))
    frame.locator("#spec-reset").click()
    assert frame.locator("#spec-editor .cm-lintRange-error").count() == 0
    assert "version 1" in frame.locator("#draft-title").inner_text()
    frame.locator("[data-tab=code]").click()
    code = frame.locator("[data-panel=code] .cm-content")
    assert "TransferOperator" in code.inner_text()
    assert frame.locator("[data-panel=code] .cm-lineNumbers").count() == 1
    _shot(page, "07-draft-code", frame.locator("#draft-card"))
    frame.locator("[data-tab=report]").click()
    assert "Valid" in frame.locator("[data-panel=report]").inner_text()
    frame.locator("[data-tab=diff]").click()
    assert "Not deployed yet" in frame.locator("[data-panel=diff]").inner_text()
    frame.locator("[data-tab=usage]").click()
    assert "No model was used" in frame.locator("[data-panel=usage]").inner_text()
    frame.locator("[data-tab=graph]").click()


def _draft_spec(page: Any) -> str:
    """The newest draft's spec text, as the API gives it (the editor renders only what is in view)."""
    base = page.url.split("/plugin/")[0]
    [request] = page.request.get(f"{base}/ai-etl/api/requests?limit=1").json()
    return str(page.request.get(f"{base}/ai-etl/api/drafts/{request['draft_id']}").json()["spec_yaml"])


def _as_viewer(browser: Any, base_url: str) -> None:
    """A viewer sees the pipelines and drafts, but no action a viewer may not take, and why."""
    page = _new_page(browser)
    _log_in(page, base_url, VIEWER, VIEWER_PASSWORD)
    frame = page.frame_locator("iframe")
    frame.locator("#pipelines table").wait_for()
    missing = frame.locator("#request-missing")
    missing.wait_for()
    assert frame.locator("#generate").is_hidden()
    assert "Generate" in missing.inner_text() and "viewer has no POST permission" in str(
        missing.get_attribute("title")
    )
    frame.locator(f"#pipelines tr[data-dag-id={DAG_ID}] button").click()
    frame.locator("#draft-missing").wait_for()
    for action in ("#deploy", "#test-run", "#rollback", "#schedule-toggle"):
        assert frame.locator(action).is_hidden(), action
    assert "Approve & deploy" in frame.locator("#draft-missing").inner_text()
    frame.locator("[data-tab=spec]").click()
    assert frame.locator("#spec-editor .cm-content").get_attribute("contenteditable") == "false"
    _shot(page, "12-viewer", frame.locator("#draft-card"))
    page.context.close()


def _as_editor(browser: Any, base_url: str) -> None:
    """An editor (SimpleAuthManager's `user` role: every DAG right, nothing of Airflow's admin) may
    generate, edit, deploy, run, roll back and schedule: the page offers all of it, marks an invalid
    edit inline, and the schedule action goes through. Airflow's connections stay the admin's: the
    API refuses them to the editor, while the page's connection pickers (DAG read) still list them."""
    page = _new_page(browser)
    _log_in(page, base_url, EDITOR, EDITOR_PASSWORD)
    frame = page.frame_locator("iframe")
    frame.locator("#pipelines table").wait_for()
    frame.locator("#generate").wait_for()
    assert frame.locator("#request-missing").is_hidden()
    assert "shop" in frame.locator("#source-conn").inner_text()
    frame.locator(f"#pipelines tr[data-dag-id={DAG_ID}] button").click()
    frame.locator("#draft-card").wait_for()
    for action in ("#deploy", "#test-run", "#rollback", "#schedule-toggle"):
        frame.locator(action).wait_for(state="attached")
        assert frame.locator(action).is_visible(), action
    assert frame.locator("#draft-missing").is_hidden()
    frame.locator("[data-tab=spec]").click()
    editor = frame.locator("#spec-editor .cm-content")
    assert editor.get_attribute("contenteditable") == "true"
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(_draft_spec(page).replace("mode: incremental", "mode: sideways"))
    frame.locator("#spec-validate").click()
    frame.locator("#spec-result .banner-error").wait_for()
    marked = frame.locator("#spec-editor .cm-line:has(.cm-lintRange-error)")
    marked.first.wait_for()
    assert "mode: sideways" in marked.first.inner_text()
    _shot(page, "14-editor-inline-error", frame.locator("#draft-card"))
    frame.locator("#spec-reset").click()
    frame.locator("#schedule-toggle:has-text('Turn on schedule')").click()
    frame.locator("#action-status:has-text('Schedule on')").wait_for()
    frame.locator("#schedule-toggle:has-text('Turn off schedule')").click()
    frame.locator("#action-status:has-text('Schedule off')").wait_for()
    audit = page.request.get(f"{base_url}/ai-etl/api/audit?limit=20").json()
    assert [e["action"] for e in audit if e["user"] == EDITOR][:2] == ["schedule", "schedule"], audit
    assert page.request.get(f"{base_url}/api/v2/connections").status == 403
    page.context.close()


def _docs_offline(browser: Any, base_url: str) -> None:
    """The API docs with every address outside this Airflow cut off: Swagger UI still lists the routes."""
    page = _new_page(browser)
    outside: list[str] = []

    def only_airflow(route: Any) -> None:
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort("internetdisconnected")

    page.route("**/*", only_airflow)
    _log_in(page, base_url)
    page.goto(f"{base_url}/ai-etl/api/docs")
    page.locator(".swagger-ui .opblock").first.wait_for()
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert {"/api/requests", "/api/pipelines/{dag_id}/runs", "/api/me"} <= set(paths), paths
    _shot(page, "13-api-docs-offline")
    assert outside == []
    page.context.close()


def _wait_for_dag_list(page: Any, base_url: str, dag_id: str, timeout: float = 90) -> None:
    """Airflow's DAG list shows `dag_id` (reloaded until the dag-processor has parsed it)."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(f"{base_url}/dags")
        try:
            page.get_by_role("link", name=dag_id, exact=True).first.wait_for(timeout=10_000)
            return
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                raise


def _check_dark_mode(page: Any, frame: Any) -> None:
    """Airflow follows the system's dark setting, and the page inside it follows Airflow."""
    page.emulate_media(color_scheme="dark")
    page.wait_for_function("() => document.documentElement.classList.contains('dark')")
    frame.locator("html[data-theme=dark]").wait_for(state="attached", timeout=10_000)
    _shot(page, "11-dark", frame.locator("#draft-card"))


def _test_run_leaves_the_schedule_off(page: Any, frame: Any, airflow: Airflow) -> None:
    """Test run from the page: it runs once to success while the DAG stays paused; the schedule is a
    separate action that says when the next run is."""
    frame.locator("#pipeline-state .pill-paused").wait_for()  # parsed, created paused
    frame.locator("#test-run:enabled").click()
    frame.locator("#action-status[data-run-state]").wait_for()
    assert "the schedule stays off" in frame.locator("#action-status").inner_text()
    finished = "#action-status[data-run-state=success], #action-status[data-run-state=failed]"
    frame.locator(finished).wait_for(timeout=RUN_MS)
    _shot(page, "10-test-run", frame.locator("#draft-card"))
    assert frame.locator("#action-status").get_attribute("data-run-state") == "success"
    frame.locator(f"#pipelines tr[data-dag-id={DAG_ID}] .pill-success").wait_for()
    # The test run left the schedule off: still paused, and the scheduler made no run of its own.
    assert airflow.metadata_query("SELECT is_paused FROM dag WHERE dag_id = %s", (DAG_ID,)) == [(True,)]
    scheduled = "SELECT count(*) FROM dag_run WHERE dag_id = %s AND run_type <> 'manual'"
    assert airflow.metadata_query(scheduled, (DAG_ID,)) == [(0,)]
    # Turning the schedule on is its own action, and says when the next run is.
    frame.locator("#schedule-toggle:has-text('Turn on schedule')").click()
    frame.locator("#action-status:has-text('Schedule on')").wait_for()
    assert "next run" in frame.locator("#action-status").inner_text()
    frame.locator("#schedule-toggle:has-text('Turn off schedule')").click()
    frame.locator("#action-status:has-text('Schedule off')").wait_for()


def test_request_to_deployed_dag_run_through_the_page(
    airflow: Airflow,
    airflow_conn: Callable[..., None],
    browser: Any,
    tmp_path: Path,
) -> None:
    page = _new_page(browser)
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    shop = _demo_databases(airflow_conn, tmp_path)
    base_url = _start_airflow(airflow)
    _log_in(page, base_url)

    frame = _open_from_navigation(page)
    page.wait_for_url(f"{base_url}/plugin/ai-etl/")  # a clean address: not /plugin/ai-etl/ai-etl/
    assert "No pipelines yet" in frame.locator("#pipelines").inner_text()
    _shot(page, "03-ai-etl-page")

    # A request the offline planner understands; progress events stream in while the worker runs.
    frame.locator("#request-text").fill(REQUEST)
    frame.locator("#source-conn").select_option("shop")
    frame.locator("#target-conn").select_option("warehouse")
    frame.locator("#offline").check()
    frame.locator("#generate").click()
    frame.locator("#progress-card").wait_for()
    frame.locator("#events .event").first.wait_for(timeout=GENERATE_MS)
    _shot(page, "04-progress", frame.locator("#progress-card"))
    frame.locator("#draft-card").wait_for(timeout=GENERATE_MS)
    agents = frame.locator("#events .event .agent").all_inner_texts()
    assert "schema_analyst" in agents and "qa_validator" in agents, agents
    assert frame.locator("#progress-state").inner_text() == "ready"
    _review_tabs(page, frame)

    # Approve & deploy: the button is disabled while the deploy is in flight, then shows it is live.
    deploy = frame.locator("#deploy")
    deploy.click()
    frame.locator("#deploy:has-text('Deployed')").wait_for()
    assert deploy.is_disabled()
    assert (airflow.dags_folder / "ai_etl" / f"{DAG_ID}.py").is_file()
    row = frame.locator(f"#pipelines tr[data-dag-id={DAG_ID}]")
    row.wait_for()
    _shot(page, "08-deployed", frame.locator("#pipelines-card"))

    # The DAG appears in Airflow's own DAG list (the link opens in the top window, not the iframe).
    assert row.locator("a").get_attribute("target") == "_top"
    assert row.locator("a").get_attribute("href") == f"/dags/{DAG_ID}"
    _wait_for_dag_list(page, base_url, DAG_ID)
    _shot(page, "09-airflow-dag-list")

    # Back to the page through the navigation; review the pipeline and run it from there.
    frame = _open_from_navigation(page)
    frame.locator(f"#pipelines tr[data-dag-id={DAG_ID}] button").click()
    _test_run_leaves_the_schedule_off(page, frame, airflow)

    # What the run did: the warehouse holds the shop's customers.
    with sqlite3.connect(shop.warehouse) as target, sqlite3.connect(shop.source) as source:
        copied = target.execute("SELECT count(*) FROM customers").fetchone()[0]
        expected = source.execute("SELECT count(*) FROM customers").fetchone()[0]
    assert copied == expected > 0
    _check_dark_mode(page, frame)
    _shot(page, "99-last")
    assert page_errors == []
    _as_viewer(browser, base_url)
    _as_editor(browser, base_url)
    _docs_offline(browser, base_url)
