"""`ai-etl generate` against the scripted model server: a model connection whose key the server
rejects ends with a clear message and exit 1, and nothing is written to the dags folder."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.support import scripted_llm as llm
from tests.unit.cli.test_cli import run

pytestmark = pytest.mark.integration

REQUEST = "every night at 2 copy orders into analytics.orders_copy"


def test_a_rejected_key_exits_1_naming_it_and_deploys_nothing(
    shop: Any, scripted_llm: Any, llm_config: Any, tmp_path: Path
) -> None:
    llm_config()
    scripted_llm.script(*[llm.http_error(401, "Incorrect API key provided")] * 4)
    dags = tmp_path / "dags"
    dags.mkdir()

    proc = run(
        "generate", REQUEST, "--conn", "shop_pg", "--out", str(tmp_path / "drafts"),
        "--deploy", "--dags-folder", str(dags),
    )  # fmt: skip

    assert proc.returncode == 1, proc.stderr
    assert "401" in proc.stderr and "nothing deployed" in proc.stderr
    assert "via connection 'ai_etl_test_llm'" in proc.stderr and "gpt-test" in proc.stderr
    assert "offline_planner" not in proc.stderr  # a wrong key is reported, not planned around
    assert list(dags.iterdir()) == []
    assert not (tmp_path / "drafts").exists()
    assert scripted_llm.requests  # the CLI really asked the server


def test_a_draft_the_critics_flag_is_shown_and_not_deployed(
    shop: Any, scripted_llm: Any, llm_config: Any, tmp_path: Path
) -> None:
    from tests.integration.agents.llm.test_generate_operator import SPEC, SQL

    llm_config(critic_count="3")
    wrong = {
        "matches": False,
        "mismatches": [{"aspect": "tables", "asked": "orders_copy", "draft": "orders"}],
    }
    scripted_llm.script(
        llm.output({"response": ["shop_pg:public.orders"]}),
        llm.output(SPEC),
        llm.output({"sql": SQL}),
        llm.output({"matches": True, "mismatches": []}),
        llm.output(wrong),
        llm.http_error(500, "critic 3 is down"),
    )
    dags = tmp_path / "dags"
    dags.mkdir()

    proc = run(
        "generate", REQUEST, "--conn", "shop_pg", "--out", str(tmp_path / "drafts"),
        "--deploy", "--dags-folder", str(dags),
    )  # fmt: skip

    assert proc.returncode == 3, proc.stderr
    # The critics are asked at once: which one got which scripted answer is up to the threads.
    assert re.search(r"critic \d \(openai:gpt-test via connection 'ai_etl_test_llm'\): agrees", proc.stderr)
    assert "disagrees - tables: asked 'orders_copy', the draft has 'orders'" in proc.stderr
    assert re.search(r"critic \d \([^)]*\): no answer \(", proc.stderr)
    assert "CRITICS: 1 of 3 critics agree (33%): FLAGGED" in proc.stdout + proc.stderr
    assert "not deployed (pass --allow-flagged to deploy it)" in proc.stdout + proc.stderr
    assert list(dags.iterdir()) == []
