"""The coder agent: writes a `python_transform` step's function and its unit examples, and checks
both before the draft is offered.

Every draft's transforms pass through `check_transforms` at the end of a generation, in the worker:
the AST allowlist first, then the examples in the sandbox. When a coder model is configured
(`[ai_etl] coder_llm_conn_id` / `coder_model`, else `llm_conn_id` / `model`) and a step fails
either check, the coder writes the function and examples again, told what failed, up to
`CODER_ATTEMPTS` times. Whatever still fails stays in the report as errors: the draft is not ok,
and nothing deploys on the strength of a failed check.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from airflow_ai_etl.agents.events import Event, GenerationResult
from airflow_ai_etl.agents.llm_config import LLMChoice, LLMUnavailable, describe_error
from airflow_ai_etl.agents.prompting import data_block, load_prompt
from airflow_ai_etl.spec.models import PipelineSpec, PythonTransformStep, TransformExample
from airflow_ai_etl.transforms.checker import check_code
from airflow_ai_etl.transforms.examples import run_examples
from airflow_ai_etl.transforms.sandbox import SandboxLimits
from airflow_ai_etl.validation.report import Finding, Report, Severity

if TYPE_CHECKING:
    # The model side (pydantic-ai) loads only when a transform is written: a draft without one,
    # or an offline one, must not pay for it.
    from airflow_ai_etl.agents.llm import LLM, AgentCall

AGENT = "coder"
#: Times the coder writes one step's function before its failures stand.
CODER_ATTEMPTS = 2


class WrittenTransform(BaseModel):
    """What the coder returns for one step."""

    code: str = Field(min_length=1, max_length=20_000)
    examples: list[TransformExample] = Field(min_length=1, max_length=5)


def step_findings(
    step: PythonTransformStep, allowed_imports: Sequence[str], limits: SandboxLimits
) -> list[Finding]:
    """The allowlist's findings, or (when the code passes it) the failing examples'."""
    refused = [
        Finding(
            severity=Severity.ERROR,
            code="python_transform.code",
            message=str(f),
            step_id=step.id,
            field="code",
        )
        for f in check_code(step.code, step.function, allowed_imports)
    ]
    if refused:
        return refused
    if not step.examples:
        return [
            Finding(
                severity=Severity.ERROR,
                code="python_transform.no_examples",
                message="the transform has no unit examples: write at least one (input -> expected rows)",
                step_id=step.id,
                field="examples",
            )
        ]
    return run_examples(step, allowed_imports=allowed_imports, limits=limits)


def _prompt(step: PythonTransformStep, allowed: Sequence[str], failures: Sequence[Finding]) -> str:
    source = step.source.sql or f"all columns of table {step.source.table}"
    parts = [
        f"Write the function `{step.function}` for step `{step.id}`.",
        data_block("task", step.description or step.id),
        data_block("source", source),
        data_block("target_table", step.target.table),
        "Allowed imports: " + ", ".join(allowed),
    ]
    if failures:
        parts.append(data_block("previous_attempt", step.code))
        parts.append(data_block("what_failed", "\n".join(f.message for f in failures)))
    return "\n\n".join(parts)


def write_transform(
    step: PythonTransformStep,
    llm: LLM,
    *,
    allowed_imports: Sequence[str],
    limits: SandboxLimits,
    on_call: Callable[[AgentCall, str], None],
) -> list[Finding]:
    """Have the coder (re)write `step` until it passes, at most CODER_ATTEMPTS times; the step is
    changed in place, and the findings of its last attempt are returned (empty: it passes)."""
    from airflow_ai_etl.agents.llm import MODEL_ERRORS, AgentCall, run_agent

    agent = llm.create_agent(WrittenTransform, instructions=load_prompt(AGENT))
    findings = step_findings(step, allowed_imports, limits)
    for attempt in range(1, CODER_ATTEMPTS + 1):
        if not findings:
            break
        call = AgentCall()
        try:
            written = run_agent(agent, _prompt(step, allowed_imports, findings), call)
        except MODEL_ERRORS as exc:
            on_call(call, f"attempt {attempt} failed: {describe_error(exc)}")
            break
        step.code, step.examples = written.code, written.examples
        findings = step_findings(step, allowed_imports, limits)
        outcome = "passes" if not findings else f"{len(findings)} finding(s): {findings[0].message}"
        on_call(call, f"wrote {step.id}.{step.function} (attempt {attempt}): {outcome}")
    return findings


def check_transforms(
    result: GenerationResult, llm: LLMChoice | None = None, *, offline: bool = False
) -> GenerationResult:
    """The result with every transform checked (and rewritten by the coder where one is configured
    and the run is not `offline`):
    failing checks become report errors and make the result not ok; the DAG source is rendered again
    when code changed (its hash is in the DAG file)."""
    spec = result.spec
    steps = [s for s in spec.steps if isinstance(s, PythonTransformStep)] if spec is not None else []
    if spec is None or not steps:
        return result
    from airflow_ai_etl.agents.llm import connect
    from airflow_ai_etl.transforms.settings import allowed_imports, sandbox_limits

    allowed, limits = allowed_imports(), sandbox_limits()
    events, findings = list(result.events), []
    try:
        coder = None if offline else connect(AGENT, llm)
    except LLMUnavailable:
        coder = None  # the checks still run; the failures stand as findings
    for step in steps:
        started = time.perf_counter()

        def note(call: AgentCall, message: str) -> None:
            tokens = call.usage.input_tokens, call.usage.output_tokens
            events.append(
                Event(
                    agent=AGENT,
                    message=message,
                    duration_ms=call.duration_ms,
                    input_tokens=tokens[0],
                    output_tokens=tokens[1],
                )
            )

        if coder is not None:
            step_problems = write_transform(step, coder, allowed_imports=allowed, limits=limits, on_call=note)
        else:
            step_problems = step_findings(step, allowed, limits)
        verdict = "examples pass" if not step_problems else f"{len(step_problems)} finding(s)"
        events.append(
            Event(
                agent=AGENT,
                message=f"checked {step.id}: {verdict}",
                duration_ms=(time.perf_counter() - started) * 1000,
                level="info" if not step_problems else "error",
            )
        )
        findings += step_problems
    return _with_findings(result, spec, findings, events)


def _with_findings(
    result: GenerationResult, spec: PipelineSpec, findings: list[Finding], events: list[Event]
) -> GenerationResult:
    from airflow_ai_etl.render import RenderError, render_dag

    known = {(f.code, f.step_id, f.field, f.message) for f in result.report.findings}
    added = [f for f in findings if (f.code, f.step_id, f.field, f.message) not in known]
    report = Report(findings=[*result.report.findings, *added])
    spec = PipelineSpec.model_validate(spec.model_dump())  # the coder's changes, validated again
    try:
        source: str | None = render_dag(spec)
    except RenderError:
        source = result.source
    ok = result.ok and report.ok
    reason = result.reason
    if result.ok and not ok:
        reason = "a python_transform step fails its checks: " + "; ".join(f.message for f in added[:3])
    return result.model_copy(
        update={
            "spec": spec,
            "report": report,
            "source": source,
            "events": events,
            "ok": ok,
            "reason": reason,
        }
    )
