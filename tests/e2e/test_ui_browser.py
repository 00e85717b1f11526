"""The AI ETL page in a real browser inside a real Airflow: log in through Airflow's login page, open
the page from Airflow's navigation, ask for a pipeline in plain language (offline planner), watch the
agents' progress, review the draft's tabs, approve & deploy, find the DAG in Airflow's DAG list, and
run it to success from the page; the warehouse then holds the shop's customers.

Airflow runs as in production (api-server, scheduler with LocalExecutor, dag-processor, triggerer,
PostgreSQL metadata, SimpleAuthManager); the browser is Debian's headless Chromium driven by
Playwright. Screenshots of every stage land in test-artifacts/ui_browser/.
"""

from __future__ import annotations

import json
import runpy
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.conftest import ARTIFACTS, REPO, Airflow, free_port, healthy

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ARTIFACTS / "ui_browser"
ADMIN, PASSWORD = "admin", "ai-etl-e2e-admin-pw"
REQUEST = "every day at 2am copy new customers into the warehouse; customer_id must be unique"
DAG_ID = "customers_to_warehouse"  # what the offline planner names this request's DAG
#: Browser-side waits (milliseconds): each bounded, together well inside the test's budget.
PAGE_MS = 60_000
GENERATE_MS = 120_000
RUN_MS = 150_000


@pytest.fixture
def browser_page() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/test.sh does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.set_default_timeout(PAGE_MS)
            yield page
            # The last state, whatever happened: the first thing to look at when the test fails.
            _shot(page, "99-last")
        finally:
            browser.close()


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
        json.dumps({ADMIN: PASSWORD})
    )
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    airflow.extra.update(
        {
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
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
    airflow.wait_until(
        "the system DAG ai_etl_generate to be parsed",
        lambda: airflow.metadata_query("SELECT 1 FROM dag WHERE dag_id = 'ai_etl_generate' AND NOT is_stale"),
    )
    return base_url


def _log_in(page: Any, base_url: str) -> None:
    """Through Airflow's own login page (SimpleAuthManager's form)."""
    page.goto(f"{base_url}/")
    page.wait_for_selector("input[name=username]")
    _shot(page, "01-airflow-login")
    page.fill("input[name=username]", ADMIN)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Browse").wait_for()
    _shot(page, "02-airflow-home")


def _open_from_navigation(page: Any) -> Any:
    """Browse -> AI ETL in Airflow's navigation; the page renders in Airflow's iframe."""
    page.get_by_role("button", name="Browse").click()
    page.get_by_role("menuitem", name="AI ETL").click()
    page.wait_for_url("**/plugin/ai-etl**")
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
    editor = frame.locator("#spec-editor")
    spec_yaml = editor.input_value()
    assert f"dag_id: {DAG_ID}" in spec_yaml and "mode: incremental" in spec_yaml
    # An edit into an invalid spec is refused with the field at fault, and nothing is saved.
    editor.fill(spec_yaml.replace("mode: incremental", "mode: sideways"))
    frame.locator("#spec-validate").click()
    refused = frame.locator("#spec-result .banner-error")
    refused.wait_for()
    assert "Invalid input" in refused.inner_text() and "mode" in refused.inner_text()
    _shot(page, "07a-spec-refused", frame.locator("#draft-card"))
    frame.locator("#spec-reset").click()
    assert editor.input_value() == spec_yaml
    assert "version 1" in frame.locator("#draft-title").inner_text()
    frame.locator("[data-tab=code]").click()
    assert frame.locator("[data-panel=code] .tok-keyword").count() > 5
    assert "TransferOperator" in frame.locator("[data-panel=code] .code").inner_text()
    _shot(page, "07-draft-code", frame.locator("#draft-card"))
    frame.locator("[data-tab=report]").click()
    assert "Valid" in frame.locator("[data-panel=report]").inner_text()
    frame.locator("[data-tab=diff]").click()
    assert "Not deployed yet" in frame.locator("[data-panel=diff]").inner_text()
    frame.locator("[data-tab=usage]").click()
    assert "No model was used" in frame.locator("[data-panel=usage]").inner_text()
    frame.locator("[data-tab=graph]").click()


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


def test_request_to_deployed_dag_run_through_the_page(
    airflow: Airflow,
    airflow_conn: Callable[..., None],
    browser_page: Any,
    tmp_path: Path,
) -> None:
    page = browser_page
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    shop = _demo_databases(airflow_conn, tmp_path)
    base_url = _start_airflow(airflow)
    _log_in(page, base_url)

    frame = _open_from_navigation(page)
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
    frame.locator("#test-run:enabled").click()
    frame.locator("#action-status[data-run-state]").wait_for()
    finished = "#action-status[data-run-state=success], #action-status[data-run-state=failed]"
    frame.locator(finished).wait_for(timeout=RUN_MS)
    _shot(page, "10-test-run", frame.locator("#draft-card"))
    assert frame.locator("#action-status").get_attribute("data-run-state") == "success"
    frame.locator(f"#pipelines tr[data-dag-id={DAG_ID}] .pill-success").wait_for()

    # What the run did: the warehouse holds the shop's customers.
    with sqlite3.connect(shop.warehouse) as target, sqlite3.connect(shop.source) as source:
        copied = target.execute("SELECT count(*) FROM customers").fetchone()[0]
        expected = source.execute("SELECT count(*) FROM customers").fetchone()[0]
    assert copied == expected > 0
    _check_dark_mode(page, frame)
    assert page_errors == []
