"""Request and response models of the REST API under /ai-etl/api (they are its OpenAPI schema)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from airflow_ai_etl.agents.verdicts import CriticVerdict
from airflow_ai_etl.spec.models import ConnId, DagId, Schedule
from airflow_ai_etl.validation.report import Finding

RequestState = Literal["queued", "running", "ready", "failed"]
DraftState = Literal["ready", "failed"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RequestIn(_In):
    request: Annotated[str, StringConstraints(min_length=1, max_length=20_000)] = Field(
        description="What the pipeline should do, in plain language."
    )
    conn_ids: list[ConnId] = Field(min_length=1, max_length=20, description="Source and target connections.")
    schedule: Schedule = Field(default=None, description="Schedule hint: 5-field cron or an Airflow preset.")
    dag_id: DagId | None = None
    offline: bool = Field(default=False, description="Plan with the offline planner, no model.")
    feedback: Annotated[str, StringConstraints(max_length=5_000)] | None = Field(
        default=None, description="Reviewer feedback on `parent_draft_id` (regenerate with feedback)."
    )
    parent_draft_id: int | None = Field(default=None, description="The draft this request revises.")


class EventOut(BaseModel):
    seq: int
    agent: str
    message: str
    level: str
    duration_ms: float | None
    tokens: int | None = Field(
        description="Input + output tokens of the step; null when no model was called."
    )
    at: dt.datetime
    phase: Literal["start", "end"] = Field(
        description="'start' when an agent's step begins (what runs now), 'end' for what came of it."
    )


class WaitOut(BaseModel):
    waiting_for: str = Field(description="What the generation run waits for now, in words.")
    since: dt.datetime | None = Field(description="Since when (Airflow's own timestamp for that stage).")
    pool: str | None
    executor: str | None


class RequestOut(BaseModel):
    id: int
    request: str
    conn_ids: list[str]
    schedule: str | None
    dag_id: str | None
    offline: bool
    feedback: str | None
    parent_draft_id: int | None
    state: RequestState
    error: str | None
    created_by: str
    created_at: dt.datetime
    dag_run_id: str | None
    draft_id: int | None
    planned_by: str | None = Field(
        description="Who planned the result: 'model' or 'offline (<why>)'; null until the run ends."
    )
    fallback: str | None = Field(
        description="Why the offline planner stood in for an unavailable model; null when it did not."
    )
    events: list[EventOut] = Field(default_factory=list)
    waiting: WaitOut | None = Field(default=None, description="While open: where its generation run stands.")


class ReportOut(BaseModel):
    ok: bool
    findings: list[Finding]


class AgentUsageOut(BaseModel):
    requests: int
    failed_requests: int = Field(description="Requests that got no usable answer (errors, time-outs).")
    input_tokens: int
    output_tokens: int
    cost_usd: float | None


class UsageOut(BaseModel):
    by_agent: dict[str, AgentUsageOut]
    total_tokens: int
    cost_usd: float | None = Field(description="Null when any agent's price is unknown.")


class GraphNode(BaseModel):
    id: str
    kind: str
    label: str


class GraphOut(BaseModel):
    nodes: list[GraphNode]
    edges: list[tuple[str, str]]


class ErColumn(BaseModel):
    name: str
    type: str
    pk: bool


class ErTable(BaseModel):
    conn_id: str
    name: str
    columns: list[ErColumn]


class ErRelation(BaseModel):
    conn_id: str
    from_table: str
    from_columns: list[str]
    to_table: str
    to_columns: list[str]


class ErOut(BaseModel):
    tables: list[ErTable]
    relations: list[ErRelation]


class DeployedOut(BaseModel):
    version: int
    draft_id: int | None


class StepFileOut(BaseModel):
    """A file a step ships beside the DAG file, shown in full for review."""

    step_id: str
    path: str = Field(description="Relative to the DAG file's folder.")
    sha256: str
    text: str
    is_code: bool = Field(description="Python code: deploying it needs approve_code.")
    live: bool = Field(description="The dags folder already holds this exact file.")


class CriticsOut(BaseModel):
    """The critics' vote on a draft: the share that agrees, the threshold below which the draft is
    flagged, and each critic's verdict with its mismatches (a critic that failed or timed out gives
    no answer and counts as not agreeing)."""

    agreement: float = Field(description="Share of the critics that agree, 0 to 1.")
    threshold: float = Field(description="`[ai_etl] critic_agreement` when they voted.")
    agreeing: int
    verdicts: list[CriticVerdict]


class DraftOut(BaseModel):
    id: int
    request_id: int
    parent_id: int | None
    version: int
    dag_id: str | None
    state: DraftState
    reason: str | None
    spec: dict[str, Any] | None
    spec_yaml: str
    source: str
    report: ReportOut
    usage: UsageOut
    graph: GraphOut
    er: ErOut
    deployed: DeployedOut | None
    diff: str = Field(
        description="Unified diff of `source` against the live file, followed by each step file the "
        "dags folder does not hold yet; '' when equal or none."
    )
    files: list[StepFileOut] = Field(
        default_factory=list, description="Files the steps ship beside the DAG file (transform code)."
    )
    created_by: str
    created_at: dt.datetime
    planned_by: str | None = Field(
        description="Who planned it: 'model' or 'offline (<why>)'; null for a draft a person edited."
    )
    fallback: str | None = Field(
        description="Why the offline planner stood in for an unavailable model; null when it did not."
    )
    flagged: bool = Field(
        default=False,
        description="The critics agreed below the threshold: shown to the reviewer, not blocked.",
    )
    critics: CriticsOut | None = Field(default=None, description="The critics' vote; null when none ran.")


class DraftEdit(_In):
    spec_yaml: Annotated[str, StringConstraints(min_length=1, max_length=500_000)]
    confirm_grants: bool = Field(
        default=False,
        description="Confirms the destructive grants (allow_destructive) this edit adds; an edit that "
        "adds one without it is refused with the grants and the spec diff to review.",
    )


class DeployIn(_In):
    approve_code: bool = Field(
        default=False,
        description="The approver has read the draft's Python code (`files` with is_code) and approves "
        "it; a draft with code is refused without it.",
    )


class DeployOut(BaseModel):
    dag_id: str
    version: int
    path: str
    changed: bool
    parse_requested: bool
    message: str
    airflow_url: str


class RollbackOut(BaseModel):
    dag_id: str
    version: int
    draft_id: int | None
    path: str
    message: str
    airflow_url: str


class RunOut(BaseModel):
    dag_id: str
    run_id: str
    state: str | None
    schedule_on: bool = Field(description="Whether the pipeline's schedule is on; a test run keeps it.")
    message: str | None = Field(default=None, description="Why a test run could not start.")


class ScheduleIn(_In):
    on: bool = Field(description="True: the scheduler runs the pipeline on its schedule (unpaused).")


class ScheduleOut(BaseModel):
    dag_id: str
    on: bool
    schedule: str | None
    next_run_after: dt.datetime | None = Field(description="When the scheduler creates the next run.")


class PipelineUsageOut(BaseModel):
    """What generating every version of a DAG took from the models, and what the LLM cache saved."""

    calls: int
    tokens: int
    cost_usd: float | None = Field(description="Null when a call was made on a model without a price.")
    cache_hits: int
    saved_tokens: int
    saved_cost_usd: float


class PipelineOut(BaseModel):
    dag_id: str
    version: int
    draft_id: int | None
    action: str = Field(description="How the live version went live: deploy or rollback.")
    deployed_by: str
    deployed_at: dt.datetime
    parsed: bool = Field(description="Whether Airflow has parsed the deployed file into a DAG.")
    state: str | None = Field(description="State of the latest DAG run; null before the first run.")
    paused: bool | None = Field(description="Null until Airflow has parsed the DAG.")
    schedule: str | None = Field(description="The schedule as Airflow summarises it; null until parsed.")
    next_run_after: dt.datetime | None = Field(description="Next scheduled run; null while paused.")
    last_run_id: str | None
    last_run_at: dt.datetime | None
    airflow_url: str
    usage: PipelineUsageOut | None = Field(default=None, description="Null when no model usage is recorded.")


class ConnectionOut(BaseModel):
    conn_id: str
    conn_type: str
    #: Why the connection cannot be used here and the fix (e.g. the extra that installs its provider).
    missing: str | None = None


class DoctorFindingOut(BaseModel):
    """One check of `ai-etl doctor`: what it found, and the fix when it is a problem."""

    check: str
    ok: bool
    message: str
    fix: str = ""


class AuditOut(BaseModel):
    at: dt.datetime
    user: str
    action: str
    target: str
    outcome: str
    detail: dict[str, Any]


class AccessOut(BaseModel):
    user: str
    dag_id: str | None = Field(description="The DAG asked about; null: DAGs in general.")
    may: dict[str, bool] = Field(
        description="Per action (read, generate, edit, deploy, rollback, run, schedule): allowed or not."
    )
    why_not: dict[str, str] = Field(description="Per refused action: why, for the page's tooltip.")


LineageDatasetKind = Literal["table", "file", "topic"]


class LineageTableOut(BaseModel):
    kind: LineageDatasetKind = "table"
    conn_id: str | None = Field(description="The connection; for a file, its storage connection (or null).")
    table: str = Field(description="The table as the spec names it; a file's path (s3: its key); a topic.")
    namespace: str | None = Field(
        description="The OpenLineage dataset namespace, e.g. postgres://host:5432, file, s3://bucket, "
        "kafka://broker:9092."
    )


class LineageSourceOut(BaseModel):
    kind: LineageDatasetKind = "table"
    conn_id: str | None
    table: str = Field(description="The table, file or topic the column comes from.")
    column: str = Field(description="The column, or the file's or message's field.")
    transformation: str = Field(description="IDENTITY (copied as it is) or TRANSFORMATION (computed).")


class LineageColumnOut(BaseModel):
    column: str
    table: str | None = Field(description="The table or file written; null when the SQL does not say.")
    sources: list[LineageSourceOut]


class StepLineageOut(BaseModel):
    step_id: str
    kind: str
    job: str = Field(description="The OpenLineage job name of the step's task: <dag_id>.<task_id>.")
    reads: list[LineageTableOut]
    writes: list[LineageTableOut]
    columns: list[LineageColumnOut]


class LineageOut(BaseModel):
    dag_id: str
    version: int | None
    job_namespace: str = Field(description="`[openlineage] namespace`: where the jobs are in a lineage tool.")
    lineage_url: str | None = Field(
        description="`[ai_etl] lineage_url`: a link to a job in the lineage tool, with {namespace} and {job}."
    )
    steps: list[StepLineageOut]
