"""`ai-etl eval SUITE --model A --model B --offline`: the suite once per model and offline, one
side-by-side table. Both models are served by the scripted OpenAI-compatible server over HTTP;
model-a answers with a draft that meets the case's expectations, model-b with one whose load
mode is wrong, so the columns must differ where the models did."""

from __future__ import annotations

import argparse
import copy
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_ai_etl.evaluation.cli import add_eval_command, run_eval_command
from tests.support import scripted_llm as llm
from tests.unit.evaluation.conftest import SMALL_SUITE

# Model names of this run only: no LLM-cache entry of an earlier run can answer for them.
RUN = uuid.uuid4().hex[:8]
MODEL_A, MODEL_B = f"model-a-{RUN}", f"model-b-{RUN}"

pytestmark = pytest.mark.integration

CREATE = (
    "CREATE TABLE IF NOT EXISTS customers (customer_id INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, "
    "country TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
)
GOOD_SPEC: dict[str, Any] = {
    "dag_id": "copy_customers",
    "start_date": "2026-01-01",
    "schedule": "0 2 * * *",
    "steps": [
        {"id": "create_customers", "kind": "sql", "conn_id": "warehouse", "sql": CREATE},
        {
            "id": "load_customers",
            "kind": "transfer",
            "depends_on": ["create_customers"],
            "source": {"conn_id": "shop", "table": "customers"},
            "target": {"conn_id": "warehouse", "table": "customers"},
            "mode": "replace",
        },
    ],
}


def _answer(body: dict[str, Any]) -> llm.Reply:
    """What model-a or model-b says, by the agent asking (the output tool's schema tells which)."""
    output = next(t["function"] for t in body.get("tools", []) if t["function"]["name"] == llm.OUTPUT_TOOL)
    fields = set(output["parameters"].get("properties", {}))
    if "steps" in fields:
        spec = copy.deepcopy(GOOD_SPEC)
        if body["model"] == MODEL_B:
            spec["steps"][1]["mode"] = "append"
        return llm.output(spec, input_tokens=200 if body["model"] == MODEL_B else 100)
    if "sql" in fields:
        return llm.output({"sql": CREATE})
    return llm.output({"response": ["shop:customers"]})


@pytest.fixture
def models(airflow_conn: Callable[..., None], monkeypatch: pytest.MonkeyPatch) -> Iterator[llm.ScriptedLLM]:
    with llm.running() as server:
        server.script(*[_answer] * 20)
        airflow_conn("eval_llm", **server.connection())
        monkeypatch.setenv("AIRFLOW__AI_ETL__LLM_MAX_RETRIES", "0")
        yield server


def _eval(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_eval_command(parser.add_subparsers(dest="command"))
    return run_eval_command(parser.parse_args(["eval", *argv]))


def test_models_side_by_side(
    models: llm.ScriptedLLM, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(SMALL_SUITE)
    common = [str(suite), "--llm-conn-id", "eval_llm", "--model", f"openai-chat:{MODEL_A}"]
    common += ["--model", f"openai-chat:{MODEL_B}", "--offline", "--no-rows", "--case", "copy_customers"]

    assert _eval(*common, "--format", "markdown") == 1  # model-b failed the case
    table = capsys.readouterr().out.strip().splitlines()
    assert table[0] == f"|  | openai-chat:{MODEL_A} | openai-chat:{MODEL_B} | offline |"
    rows = {line.split(" | ")[0].strip("| "): line for line in table[2:]}
    assert rows["pass rate"] == "| pass rate | 100.0% | 0.0% | 100.0% |"
    assert rows["rows exact"] == "| rows exact | n/a | n/a | n/a |"  # --no-rows: no rows checked
    assert rows["tokens in/out"] == "| tokens in/out | 300/60 | 400/60 | 0/0 |"
    assert rows["cost"] == "| cost | unknown | unknown | $0.0000 |"
    assert rows["repair rounds"] == "| repair rounds | 0 | 0 | 0 |"
    assert [r.body["model"] for r in models.requests] == [MODEL_A] * 3 + [MODEL_B] * 3

    assert _eval(*common, "--json") == 1
    data = json.loads(capsys.readouterr().out)
    by_model = {m["model"]: m for m in data["models"]}
    assert by_model[f"openai-chat:{MODEL_B}"]["summary"]["pass_rate"] == 0
    [case] = by_model[f"openai-chat:{MODEL_B}"]["cases"]
    assert any("load modes: expected [replace], got [append]" in p for p in case["problems"])
    assert by_model["offline"]["cases"][0]["planner"] == "offline"


def test_a_markdown_table_needs_two_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(SMALL_SUITE)
    assert _eval(str(suite), "--offline", "--format", "markdown") == 2
    assert "give two --model, or --model and --offline" in capsys.readouterr().err
    assert _eval(str(suite), "--offline", "--json", "--format", "text") == 2
    assert "contradict" in capsys.readouterr().err
