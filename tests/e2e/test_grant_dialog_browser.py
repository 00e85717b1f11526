"""The review page's grant confirmation in a real browser: an edit refused with 409 for adding
destructive grants shows the grants and the spec diff in a dialog, and is sent again with
`confirm_grants: true` only when the person confirms (Cancel and Escape send nothing more).

The page's own files are served as the plugin ships them; the API is answered by the test in the
shapes the plugin's API returns (tests/security/test_hostile_integration.py checks the real 409),
so no Airflow is started and the test takes seconds.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

STATIC = resources.files("airflow_ai_etl.plugins") / "static"
BASE = "http://ai-etl.test/ai-etl/"
_TYPES = {".css": "text/css", ".js": "application/javascript", ".svg": "image/svg+xml"}
GRANT = {"step": "purge", "field": "allow_destructive", "operation": "delete", "table": "orders"}
DIFF = "--- draft/1.yaml\n+++ edit.yaml\n@@ -2 +2,2 @@\n steps: []\n+# allow_destructive: delete orders\n"


def _draft(version: int, spec_yaml: str) -> dict[str, Any]:
    return {
        "id": version,
        "request_id": 1,
        "parent_id": None,
        "version": version,
        "dag_id": "shop_purge",
        "state": "ready",
        "reason": None,
        "spec": {"dag_id": "shop_purge", "steps": []},
        "spec_yaml": spec_yaml,
        "source": "",
        "report": {"ok": True, "findings": []},
        "usage": {"by_agent": {}, "total_tokens": 0, "cost_usd": 0.0},
        "graph": {"nodes": [], "edges": []},
        "er": {"tables": [], "relations": []},
        "deployed": None,
        "diff": "",
        "created_by": "op1",
        "created_at": "2026-01-01T00:00:00Z",
    }


class _Api:
    """The plugin's API as far as opening a draft and editing its spec goes; records every PUT."""

    def __init__(self) -> None:
        self.puts: list[dict[str, Any]] = []

    def __call__(self, route: Any) -> None:
        request = route.request
        path = request.url.removeprefix(BASE).split("?")[0]
        if path in ("", "index.html") or path.startswith("static/"):
            name = path.removeprefix("static/") or "index.html"
            suffix = "." + name.rpartition(".")[2]
            route.fulfill(body=(STATIC / name).read_bytes(), content_type=_TYPES.get(suffix, "text/html"))
        elif path == "api/me":
            may = dict.fromkeys(("generate", "edit", "deploy", "run", "rollback", "schedule"), True)
            route.fulfill(json={"user": "op1", "may": may, "why_not": {}})
        elif path == "api/pipelines":
            route.fulfill(json=[{"draft_id": 1, "dag_id": "shop_purge", "version": 1, "parsed": False}])
        elif path == "api/drafts/1" and request.method == "GET":
            route.fulfill(json=_draft(1, "dag_id: shop_purge\nsteps: []\n"))
        elif path == "api/drafts/1" and request.method == "PUT":
            body = json.loads(request.post_data or "{}")
            self.puts.append(body)
            if body.get("confirm_grants"):
                route.fulfill(status=201, json=_draft(2, body["spec_yaml"]))
            else:
                detail = {
                    "message": "this edit grants destructive operations",
                    "grants": [GRANT],
                    "diff": DIFF,
                }
                route.fulfill(status=409, json={"detail": detail})
        else:
            route.fulfill(json=[])


def test_an_edit_adding_grants_is_saved_only_after_the_person_confirms(browser: Any) -> None:
    api = _Api()
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route("http://ai-etl.test/**", api)
    page.goto(BASE)
    page.locator("[data-dag-id=shop_purge] button").click()
    page.locator("[data-tab=spec]").click()
    page.locator("#spec-editor .cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("# allow_destructive: delete orders\n")
    dialog = page.locator("#grant-dialog")
    result = page.locator("#spec-result")

    page.locator("#spec-validate").click()
    dialog.wait_for(state="visible")
    assert "delete on orders (step purge, allow_destructive)" in dialog.inner_text()
    assert dialog.locator(".diff-add").inner_text().strip() == "+# allow_destructive: delete orders"
    page.locator("#grant-cancel").click()
    result.get_by_text("Not saved: the grants were not confirmed.").wait_for()
    assert dialog.is_hidden()

    page.locator("#spec-validate").click()
    dialog.wait_for(state="visible")
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert [put.get("confirm_grants", False) for put in api.puts] == [False, False]

    page.locator("#spec-validate").click()
    page.locator("#grant-confirm").click()
    result.get_by_text("Saved as version 2").wait_for()
    assert [put.get("confirm_grants", False) for put in api.puts] == [False, False, False, True]
    assert api.puts[-1]["spec_yaml"] == api.puts[0]["spec_yaml"]
    assert errors == []
