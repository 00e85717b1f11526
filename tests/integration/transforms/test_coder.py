"""The coder agent under guard: its function must pass the allowlist and its own examples in the
sandbox before the draft is offered; a second attempt is told what failed; failures stand as
findings that make the draft not ok."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from airflow_ai_etl.agents.coder import check_transforms, write_transform
from airflow_ai_etl.agents.events import GenerationResult
from airflow_ai_etl.agents.llm import LLM
from airflow_ai_etl.spec.models import PipelineSpec, PythonTransformStep
from airflow_ai_etl.transforms.checker import DEFAULT_IMPORTS
from airflow_ai_etl.transforms.sandbox import SandboxLimits

LIMITS = SandboxLimits(cpu_seconds=5, memory_mb=1024, timeout_s=30)
UPPER = (
    "def transform(batch):\n"
    "    import pyarrow.compute as pc\n"
    "    return batch.set_column(0, 'name', pc.utf8_upper(batch.column('name')))"
)
WRONG = "def transform(batch):\n    return batch\n"
EXAMPLES = [{"input": [{"name": "ada"}], "expected": [{"name": "ADA"}]}]


def spec(code: str = WRONG, examples: list[dict[str, Any]] | None = None) -> PipelineSpec:
    step = {
        "id": "shout",
        "kind": "python_transform",
        "description": "upper-case the name",
        "source": {"conn_id": "shop", "table": "people"},
        "target": {"conn_id": "shop", "table": "loud_people"},
        "code": code,
        "examples": EXAMPLES if examples is None else examples,
    }
    return PipelineSpec(dag_id="loud", start_date=dt.date(2026, 1, 1), steps=[step])  # type: ignore[list-item]


def coder(*answers: str) -> tuple[LLM, list[str]]:
    """A coder model giving these codes in turn (with the upper-case example); records its prompts."""
    prompts: list[str] = []

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        prompts.append(str(messages[-1]))
        code = answers[min(len(prompts), len(answers)) - 1]
        return ModelResponse(
            parts=[ToolCallPart(info.output_tools[0].name, {"code": code, "examples": EXAMPLES})]
        )

    return LLM.from_model("coder", FunctionModel(respond)), prompts


def write(step: PythonTransformStep, llm: LLM) -> list[Any]:
    calls: list[str] = []
    findings = write_transform(
        step, llm, allowed_imports=DEFAULT_IMPORTS, limits=LIMITS, on_call=lambda c, m: calls.append(m)
    )
    return [findings, calls]


def test_a_second_attempt_is_told_what_failed_and_passes() -> None:
    step = spec(examples=[]).steps[0]
    assert isinstance(step, PythonTransformStep)
    llm, prompts = coder(WRONG, UPPER)
    findings, calls = write(step, llm)
    assert findings == []
    assert step.code == UPPER and len(prompts) == 2  # (spec strings are stripped)
    assert "expected" in prompts[1] and "ADA" in prompts[1]  # the failing example was quoted back
    assert "passes" in calls[-1]


def test_code_that_fails_its_own_examples_is_a_finding_and_the_draft_is_not_ok() -> None:
    step = spec(examples=[]).steps[0]
    assert isinstance(step, PythonTransformStep)
    llm, _ = coder(WRONG)
    findings, _ = write(step, llm)
    (finding,) = findings
    assert finding.code == "python_transform.example_failed"
    assert 'expected [{"name": "ADA"}], got [{"name": "ada"}]' in finding.message


def test_without_a_coder_the_checks_still_run_on_the_draft() -> None:
    hostile = "import os\n\ndef transform(batch):\n    return batch\n"
    result = check_transforms(GenerationResult(ok=True, spec=spec(hostile)), offline=True)
    assert not result.ok
    assert [f.code for f in result.report.errors] == ["python_transform.code"]
    assert "line 1: import os" in result.report.errors[0].message
    assert "python_transform" in (result.reason or "")

    passing = check_transforms(GenerationResult(ok=True, spec=spec(UPPER)), offline=True)
    assert passing.ok and passing.report.errors == []
    assert any("examples pass" in e.message for e in passing.events)
