"""Store rows -> API models: a request with its events, a draft with everything the review shows."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from airflow_ai_etl.agents.verdicts import CriticVote
from airflow_ai_etl.plugins.schemas import (
    AgentUsageOut,
    CriticsOut,
    DeployedOut,
    DraftOut,
    ErOut,
    EventOut,
    GraphOut,
    ReportOut,
    RequestOut,
    StepFileOut,
    UsageOut,
)
from airflow_ai_etl.spec import PipelineSpec
from airflow_ai_etl.store import Store
from airflow_ai_etl.store.diagrams import step_graph
from airflow_ai_etl.store.models import DraftRow, EventRow, RequestRow, UsageRow
from airflow_ai_etl.validation.report import Report

if TYPE_CHECKING:
    from airflow_ai_etl.deploy.targets import DeployTarget

log = logging.getLogger(__name__)


def critics_out(stored: dict[str, Any] | None) -> CriticsOut | None:
    """A draft's stored vote (CriticVote as JSON) with its share of agreeing critics."""
    if stored is None:
        return None
    vote = CriticVote.model_validate(stored)
    return CriticsOut(
        agreement=vote.agreement, threshold=vote.threshold, agreeing=vote.agreeing, verdicts=vote.verdicts
    )


def event_out(row: EventRow) -> EventOut:
    tokens = row.input_tokens + row.output_tokens
    return EventOut(
        seq=row.seq,
        agent=row.agent,
        message=row.message,
        level=row.level,
        duration_ms=row.duration_ms,
        tokens=tokens or None,
        at=row.at,
        phase=row.phase,
    )


def request_out(row: RequestRow, events: Sequence[EventRow] = ()) -> RequestOut:
    return RequestOut(
        id=row.id,
        request=row.request,
        conn_ids=row.conn_ids,
        schedule=row.schedule,
        dag_id=row.dag_id,
        offline=row.offline,
        feedback=row.feedback,
        parent_draft_id=row.parent_draft_id,
        state=row.state,
        error=row.error,
        created_by=row.created_by,
        created_at=row.created_at,
        dag_run_id=row.dag_run_id,
        draft_id=row.draft_id,
        planned_by=row.planned_by,
        fallback=row.fallback,
        events=[event_out(e) for e in events],
    )


def report_out(report: Report) -> ReportOut:
    return ReportOut(ok=report.ok, findings=report.findings)


def usage_out(rows: Sequence[UsageRow]) -> UsageOut:
    by_agent: dict[str, AgentUsageOut] = {}
    for row in rows:
        by_agent[row.agent] = AgentUsageOut(
            requests=row.requests,
            failed_requests=row.failed_requests,
            input_tokens=row.input_tokens,
            output_tokens=row.output_tokens,
            cost_usd=row.cost_usd,
        )
    costs = [u.cost_usd for u in by_agent.values()]
    return UsageOut(
        by_agent=by_agent,
        total_tokens=sum(u.input_tokens + u.output_tokens for u in by_agent.values()),
        cost_usd=None if any(c is None for c in costs) else sum(c for c in costs if c is not None),
    )


def live_diff(target: DeployTarget, source: str, dag_id: str) -> str:
    """Unified diff from the DAG file live on `target` to `source`; '' when there is no live file,
    they are equal, or the target cannot be read now (a warning: the review goes on without it)."""
    from airflow_ai_etl.deploy.models import DeployError

    try:
        live = target.live_file(f"{dag_id}.py")
    except (DeployError, OSError) as exc:
        log.warning("no diff to the live %s: %s", dag_id, exc)
        return ""
    if live is None or live == source:
        return ""
    lines = difflib.unified_diff(
        live.splitlines(keepends=True),
        source.splitlines(keepends=True),
        fromfile=f"live/{dag_id}.py",
        tofile=f"draft/{dag_id}.py",
    )
    return "".join(lines)


def step_files_out(spec: PipelineSpec | None, target: DeployTarget | None) -> list[StepFileOut]:
    """The spec's step files, each marked live when the deploy target holds that exact file."""
    from airflow_ai_etl.deploy.models import DeployError
    from airflow_ai_etl.steps import registry

    if spec is None:
        return []
    out = []
    for file in registry.step_files(spec.steps, spec.dag_id):
        try:
            live = target is not None and target.live_file(file.path) == file.text
        except (DeployError, OSError):
            live = False
        out.append(StepFileOut(**asdict(file), live=live))
    return out


def new_files_diff(files: list[StepFileOut]) -> str:
    """Each step file the deploy target does not hold yet, as a new-file diff."""
    return "".join(
        "".join(difflib.unified_diff([], f.text.splitlines(keepends=True), "/dev/null", f"draft/{f.path}"))
        for f in files
        if not f.live
    )


def draft_out(store: Store, row: DraftRow, target: DeployTarget | None) -> DraftOut:
    """The draft as the review shows it; its diff is against the files live on `target`."""
    spec = PipelineSpec.model_validate(row.spec) if row.spec is not None else None
    deployed = None
    diff = ""
    files = step_files_out(spec, target)
    if row.dag_id is not None:
        live = store.live_deployment(row.dag_id)
        if live is not None:
            deployed = DeployedOut(version=live.version, draft_id=live.draft_id)
        if target is not None:
            diff = live_diff(target, row.source, row.dag_id)
            diff += new_files_diff(files) if diff else ""
    return DraftOut(
        id=row.id,
        request_id=row.request_id,
        parent_id=row.parent_id,
        version=row.version,
        dag_id=row.dag_id,
        state=row.state,
        reason=row.reason,
        spec=row.spec,
        spec_yaml=row.spec_yaml,
        source=row.source,
        report=report_out(Report.model_validate(row.report)),
        usage=usage_out(store.usage(row.request_id)),
        graph=GraphOut.model_validate(step_graph(spec)) if spec else GraphOut(nodes=[], edges=[]),
        er=ErOut.model_validate(row.er),
        deployed=deployed,
        diff=diff,
        files=files,
        created_by=row.created_by,
        created_at=row.created_at,
        planned_by=row.planned_by,
        fallback=row.fallback,
        flagged=row.flagged,
        critics=critics_out(row.critics),
    )
