"""Run a stored request in a worker: load it, stream its events into the store, store the draft.

This is what the system DAG `ai_etl_generate` does for the UI and REST API: the api-server only
stores the request and triggers a run; the agents (and the database introspection they need) run
where Airflow runs tasks. Every outcome ends in the store: a ready or failed draft, or a failed
request with the reason, so the page never waits for something that will not come.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from airflow_ai_etl.agents.events import Event, EventCallback, GenerationResult
from airflow_ai_etl.agents.llm import LLMChoice
from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.spec import PipelineSpec, SpecError, dumps_spec, parse_spec, spec_to_data
from airflow_ai_etl.store.diagrams import er_diagram
from airflow_ai_etl.store.models import DraftRow, RequestRow
from airflow_ai_etl.store.repository import Store

ORCHESTRATOR = "orchestrator"


class StoredRequestError(RuntimeError):
    """The request cannot be generated (unknown id, unreadable connection); the store says why."""


@dataclass(frozen=True)
class GenerationSettings:
    llm: LLMChoice | None = None
    max_rounds: int | None = None
    dry_run: bool = True


def request_text(row: RequestRow) -> str:
    """The words the agents see: the request, and the reviewer's feedback on the previous draft."""
    if row.feedback and row.feedback.strip():
        return f"{row.request.strip()}\n\nFeedback on the previous draft: {row.feedback.strip()}"
    return row.request


def _with_schedule(spec: PipelineSpec, schedule: str) -> PipelineSpec:
    return parse_spec({**spec_to_data(spec), "schedule": schedule}, "schedule hint")


def run_stored_request(
    store: Store,
    request_id: int,
    *,
    catalogs: Sequence[SchemaCatalog] | None = None,
    dag_run_id: str | None = None,
    settings: GenerationSettings = GenerationSettings(),
    on_event: EventCallback | None = None,
) -> GenerationResult:
    """Generate the stored request `request_id` and store the draft; returns the generation result.

    `catalogs` default to introspecting the request's connections now. Raises StoredRequestError
    (after recording it) when the request is unknown or a connection cannot be read.
    """
    row = store.get_request(request_id)
    if row is None:
        raise StoredRequestError(f"request_id {request_id}: no such request in the ai_etl store")
    store.update_request(request_id, state="running", dag_run_id=dag_run_id, error=None)

    def emit(event: Event) -> None:
        store.add_event(request_id, event)
        if on_event is not None:
            on_event(event)

    try:
        found = list(catalogs) if catalogs is not None else _introspect(row.conn_ids)
    except StoredRequestError as exc:
        emit(Event(agent=ORCHESTRATOR, message=str(exc), level="error"))
        store.update_request(request_id, state="failed", error=str(exc))
        raise
    dag_id = row.dag_id or _parent_dag_id(store, row)
    result = _generate(row, found, dag_id, settings, emit)
    if result.ok and result.spec is not None and row.schedule and result.spec.schedule != row.schedule:
        result = _apply_schedule(result, row.schedule, emit)
    draft = _store_draft(store, row, result, found)
    store.update_request(
        request_id,
        state="ready" if result.ok else "failed",
        error=None if result.ok else result.reason,
        draft_id=draft.id if draft else None,
    )
    return result


def _introspect(conn_ids: Sequence[str]) -> list[SchemaCatalog]:
    from airflow_ai_etl.catalog.connections import UnknownConnectionError
    from airflow_ai_etl.catalog.errors import CatalogError
    from airflow_ai_etl.catalog.introspect import introspect

    catalogs = []
    for conn_id in dict.fromkeys(conn_ids):
        try:
            catalogs.append(introspect(conn_id))
        except (UnknownConnectionError, CatalogError) as exc:
            raise StoredRequestError(f"conn_ids: cannot read the schema of '{conn_id}': {exc}") from None
    return catalogs


def _parent_dag_id(store: Store, row: RequestRow) -> str | None:
    """A regeneration keeps the dag_id of the draft it revises, so it becomes that DAG's next version."""
    if row.parent_draft_id is None:
        return None
    parent = store.get_draft(row.parent_draft_id)
    return parent.dag_id if parent else None


def _generate(
    row: RequestRow,
    catalogs: Sequence[SchemaCatalog],
    dag_id: str | None,
    settings: GenerationSettings,
    emit: EventCallback,
) -> GenerationResult:
    from airflow_ai_etl.agents.orchestrator import generate
    from airflow_ai_etl.agents.reflector import DEFAULT_MAX_ROUNDS

    return generate(
        request_text(row),
        catalogs,
        dag_id=dag_id,
        llm=settings.llm,
        max_rounds=DEFAULT_MAX_ROUNDS if settings.max_rounds is None else settings.max_rounds,
        dry_run=settings.dry_run,
        on_event=emit,
        offline=row.offline,
    )


def _apply_schedule(result: GenerationResult, schedule: str, emit: EventCallback) -> GenerationResult:
    """The request's schedule hint wins over the planner's reading of the words (a person chose it)."""
    from airflow_ai_etl.render import RenderError, render_dag

    assert result.spec is not None
    try:
        spec = _with_schedule(result.spec, schedule)
        source = render_dag(spec)
    except (SpecError, RenderError) as exc:
        emit(
            Event(
                agent=ORCHESTRATOR, message=f"schedule hint {schedule!r} not applied: {exc}", level="warning"
            )
        )
        return result
    emit(Event(agent=ORCHESTRATOR, message=f"schedule set to {schedule!r} from the request's hint"))
    return result.model_copy(update={"spec": spec, "source": source})


def _store_draft(
    store: Store, row: RequestRow, result: GenerationResult, catalogs: Sequence[SchemaCatalog]
) -> DraftRow | None:
    if result.spec is None:  # nothing to review: the request's error says why
        return None
    return store.add_draft(
        request_id=row.id,
        dag_id=result.spec.dag_id,
        state="ready" if result.ok else "failed",
        reason=result.reason,
        spec=result.spec.model_dump(mode="json"),
        spec_yaml=dumps_spec(result.spec),
        source=result.source or "",
        report=result.report.model_dump(mode="json"),
        er=er_diagram(result.spec, catalogs),
        created_by=row.created_by,
        parent_id=row.parent_draft_id,
        usage=result.usage,
    )
