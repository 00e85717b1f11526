"""Store rows -> API models: a request with its events, a draft with everything the review shows."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

from airflow_ai_etl.plugins.schemas import (
    AgentUsageOut,
    DeployedOut,
    DraftOut,
    ErOut,
    EventOut,
    GraphOut,
    ReportOut,
    RequestOut,
    UsageOut,
)
from airflow_ai_etl.spec import PipelineSpec
from airflow_ai_etl.store import Store
from airflow_ai_etl.store.diagrams import step_graph
from airflow_ai_etl.store.models import DraftRow, EventRow, RequestRow, UsageRow
from airflow_ai_etl.validation.report import Report


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
        events=[event_out(e) for e in events],
    )


def report_out(report: Report) -> ReportOut:
    return ReportOut(ok=report.ok, findings=report.findings)


def usage_out(rows: Sequence[UsageRow]) -> UsageOut:
    by_agent: dict[str, AgentUsageOut] = {}
    for row in rows:
        by_agent[row.agent] = AgentUsageOut(
            requests=row.requests,
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


def live_diff(live_file: Path, source: str, dag_id: str) -> str:
    """Unified diff from the live DAG file to `source`; '' when there is no live file or they are equal."""
    try:
        live = live_file.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return ""
    if live == source:
        return ""
    lines = difflib.unified_diff(
        live.splitlines(keepends=True),
        source.splitlines(keepends=True),
        fromfile=f"live/{dag_id}.py",
        tofile=f"draft/{dag_id}.py",
    )
    return "".join(lines)


def draft_out(store: Store, row: DraftRow, dags_folder: Path | None) -> DraftOut:
    from airflow_ai_etl.deploy.local import dag_file_path

    spec = PipelineSpec.model_validate(row.spec) if row.spec is not None else None
    deployed = None
    diff = ""
    if row.dag_id is not None:
        live = store.live_deployment(row.dag_id)
        if live is not None:
            deployed = DeployedOut(version=live.version, draft_id=live.draft_id)
        if dags_folder is not None:
            diff = live_diff(dag_file_path(dags_folder, row.dag_id), row.source, row.dag_id)
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
        created_by=row.created_by,
        created_at=row.created_at,
    )
