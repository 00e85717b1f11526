"""QA validator: the spine's validation, a read-only dry run of every read query, and a score.

Validation proves a spec fits the catalogs; the dry run proves the database agrees. A query can
name only real columns and still fail where it runs (`text + 1`, a function the server lacks), so
every read query of the spec is planned by the real source - EXPLAIN, or wrapped with LIMIT 0 where
the dialect has no plan-only EXPLAIN here - in a rolled-back, read-only transaction under a
statement timeout. Nothing is executed for effect.

Finding codes added here:
- `qa.dry_run_failed` (error) - the database rejected the query; the message quotes it.
- `qa.dry_run_timeout` (warning) - planning the query took longer than the limit.
- `qa.dry_run_unavailable` (warning) - no connection could be opened; the query was not tried.

The score is 1.0 minus a fixed weight per finding (ERROR_WEIGHT, WARNING_WEIGHT), floored at 0;
`deductions` lists what was taken off for which finding.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from airflow_ai_etl.agents.tools.context import HookGetter, ToolError, airflow_hook
from airflow_ai_etl.agents.tools.readonly import (
    ConnectionUnavailable,
    QueryFailed,
    dry_run_statement,
    run_read_only,
)
from airflow_ai_etl.spec.models import PipelineSpec
from airflow_ai_etl.steps import registry
from airflow_ai_etl.steps.base import StepSql
from airflow_ai_etl.validation.context import ValidationContext
from airflow_ai_etl.validation.report import Finding, Report, Severity
from airflow_ai_etl.validation.validate import validate_spec

ERROR_WEIGHT = 0.25
WARNING_WEIGHT = 0.05
_WEIGHTS = {Severity.ERROR: ERROR_WEIGHT, Severity.WARNING: WARNING_WEIGHT, Severity.INFO: 0.0}


class Deduction(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    step_id: str | None = None
    weight: float


Outcome = Literal["passed", "failed", "timeout", "unavailable", "skipped"]


class DryRun(BaseModel):
    """One read query tried against its source: passed, failed, or skipped (and why)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    step_id: str
    field: str
    conn_id: str
    outcome: Outcome
    detail: str | None = None


class QaResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    report: Report
    score: float = Field(ge=0, le=1)
    deductions: list[Deduction] = Field(default_factory=list)
    dry_runs: list[DryRun] = Field(default_factory=list)


#: A query a step will run against its source, and where in the spec it comes from.
ReadQuery = StepSql


def read_queries(spec: PipelineSpec, context: ValidationContext) -> list[ReadQuery]:
    """Every read query of the spec: transfer and export sources, and expression checks on existing tables.

    Checks on a table the catalog does not hold yet (created by the pipeline itself) are left out:
    the database could only say that the table is missing.
    """
    return [query for step in spec.steps for query in registry.kind_of(step).read_queries(step, context)]


def _dry_run(query: ReadQuery, context: ValidationContext, get_hook: HookGetter, timeout_s: float) -> DryRun:
    def outcome(kind: Outcome, detail: str | None = None) -> DryRun:
        return DryRun(
            step_id=query.step_id, field=query.field, conn_id=query.conn_id, outcome=kind, detail=detail
        )

    try:
        run_read_only(
            get_hook,
            query.conn_id,
            query.sql,
            dialect=context.dialect(query.conn_id),
            timeout_s=timeout_s,
            max_rows=0,
            wrap=dry_run_statement,
        )
    except ConnectionUnavailable as err:
        return outcome("unavailable", str(err))
    except QueryFailed as err:
        return outcome("timeout" if err.timed_out else "failed", str(err))
    except ToolError as err:  # refused as not read-only: validation has said so already
        return outcome("skipped", str(err))
    return outcome("passed")


_DRY_RUN_FINDINGS = {
    "failed": (Severity.ERROR, "qa.dry_run_failed", "the source database rejected the query"),
    "timeout": (Severity.WARNING, "qa.dry_run_timeout", "planning the query hit the time limit"),
    "unavailable": (Severity.WARNING, "qa.dry_run_unavailable", "the query could not be tried"),
}


def _finding(run: DryRun) -> Finding | None:
    if run.outcome not in _DRY_RUN_FINDINGS:
        return None
    severity, code, what = _DRY_RUN_FINDINGS[run.outcome]
    return Finding(
        severity=severity,
        code=code,
        message=f"dry run on {run.conn_id!r}: {what}: {run.detail}",
        step_id=run.step_id,
        field=run.field,
        hint="make the query run on the real schema (types, functions, casts)"
        if severity is Severity.ERROR
        else None,
    )


def score(report: Report) -> tuple[float, list[Deduction]]:
    """1.0 minus a weight per finding, floored at 0, and the list of what was deducted."""
    deductions = [
        Deduction(code=f.code, step_id=f.step_id, weight=_WEIGHTS[f.severity])
        for f in report.findings
        if _WEIGHTS[f.severity] > 0
    ]
    return round(max(0.0, 1.0 - sum(d.weight for d in deductions)), 4), deductions


def qa_check(
    spec: PipelineSpec,
    context: ValidationContext,
    *,
    dry_run: bool = True,
    get_hook: HookGetter = airflow_hook,
    timeout_s: float = 10.0,
) -> QaResult:
    """Validate the spec, dry-run its read queries on their sources, and score the draft.

    A step validation already found errors in is not dry-run (the database would repeat them);
    neither is a step on a connection Airflow does not define.
    """
    report = validate_spec(spec, context)
    runs: list[DryRun] = []
    if dry_run:
        broken = {f.step_id for f in report.errors}
        for query in read_queries(spec, context):
            if query.step_id in broken or query.conn_id not in context.connections:
                why = "validation errors" if query.step_id in broken else "connection not defined"
                runs.append(
                    DryRun(
                        step_id=query.step_id,
                        field=query.field,
                        conn_id=query.conn_id,
                        outcome="skipped",
                        detail=why,
                    )
                )
                continue
            runs.append(_dry_run(query, context, get_hook, timeout_s))
    findings = [f for f in map(_finding, runs) if f is not None]
    full = Report(findings=[*report.findings, *findings])
    value, deductions = score(full)
    return QaResult(report=full, score=value, deductions=deductions, dry_runs=runs)
