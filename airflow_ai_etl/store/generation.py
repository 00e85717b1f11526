"""A stored request's run of the system DAG: the params it is triggered with, and what it gives back.

Airflow 3 keeps task processes away from the metadata database, where the store lives by
default, so a worker never writes to the store: GeneratePipelineOperator publishes its events
while it runs and its result at the end as XComs, through the Task SDK. The api-server, which
has the database, copies them into the store whenever the request is looked at, but only when
the run changed since the last copy (its marker, see `catch_up`). The copy is idempotent: any
number of pollers at once store each event once and the draft once.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from airflow_ai_etl.agents.events import Event, GenerationResult, total_spent
from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.deploy.system_dag import SYSTEM_DAG_ID
from airflow_ai_etl.lifecycle import emit
from airflow_ai_etl.spec import dumps_spec
from airflow_ai_etl.store.diagrams import er_diagram
from airflow_ai_etl.store.models import RequestRow
from airflow_ai_etl.store.repository import OPEN_STATES, DraftFields, Store

#: The system DAG's one task, whose XComs carry a run's events and result.
GENERATE_TASK_ID = "generate"
ORCHESTRATOR = "orchestrator"


@dataclass(frozen=True)
class RunOutput:
    """What a run of the system DAG has published so far.

    `events` and `result` are the task's XComs as they are (`events`, `return_value`); `ended`
    is the state of the task (or of the run) once it is over without more to come, else None.
    """

    events: Sequence[Any] = ()
    result: Any = None
    ended: str | None = None


def published_result(result: GenerationResult, catalogs: Sequence[SchemaCatalog]) -> dict[str, Any]:
    """The task's return value: the result as JSON without the events (published on their own),
    plus `er`, the ER diagram, drawn where the catalogs are at hand."""
    data: dict[str, Any] = result.model_dump(mode="json", exclude={"events"})
    data["er"] = er_diagram(result.spec, catalogs) if result.spec is not None else None
    return data


def request_text(row: RequestRow) -> str:
    """The words the agents see: the request, and the reviewer's feedback on the previous draft."""
    if row.feedback and row.feedback.strip():
        return f"{row.request.strip()}\n\nFeedback on the previous draft: {row.feedback.strip()}"
    return row.request


#: The run param that carries a request's ER diagram: {"media_type": ..., "base64": ...}.
IMAGE_PARAM = "image"


def run_params(store: Store, row: RequestRow) -> dict[str, Any]:
    """The params of the system-DAG run that generates `row` (they are all the worker gets: a
    worker cannot read the store, so a request's ER diagram travels in them, base64-encoded and
    bounded by `[ai_etl] image_max_mb`)."""
    params: dict[str, Any] = {
        "request": request_text(row),
        "conn_ids": list(dict.fromkeys(row.conn_ids)),
        "dag_id": row.dag_id or _parent_dag_id(store, row),
        "schedule": row.schedule,
        "offline": row.offline,
        "request_id": row.id,
    }
    image = store.request_image(row.id)
    if image is not None:  # only then: a text request's params stay what older system DAGs accept
        media_type, data = image
        params[IMAGE_PARAM] = {"media_type": media_type, "base64": base64.b64encode(data).decode("ascii")}
    return params


def _parent_dag_id(store: Store, row: RequestRow) -> str | None:
    """A regeneration keeps the dag_id of the draft it revises, so it becomes that DAG's next version."""
    if row.parent_draft_id is None:
        return None
    parent = store.get_draft(row.parent_draft_id)
    return parent.dag_id if parent else None


def record_run(store: Store, row: RequestRow, output: RunOutput) -> None:
    """Copy what the run published since the last look into the store, and end the request when
    the run has: ready or failed with its draft, or failed with the reason when there is no result."""
    events = [_event(item) for item in output.events]
    if store.add_events(row.id, events):
        store.start_request(row.id)
    if output.result is not None:
        state, error, draft, result = _outcome(row, output.result)
        ended = store.finish_request(
            row.id,
            state=state,
            error=error,
            draft=draft,
            planned_by=result.planned_by if result else None,
            fallback=result.fallback if result else None,
        )
        if ended:  # once per run: only the call that ends the request gets here
            dag_id = draft["dag_id"] if draft is not None else None
            emit("pipeline.generated", dag_id, request_id=row.id, state=state, user=row.created_by)
        if ended and draft is not None:
            # Imported here: the worker imports this module for published_result, and the limiter
            # pulls in pydantic-ai (~1 s), which an offline generation never needs.
            from airflow_ai_etl.budgets.limiter import Subject, process_budgets

            tokens, cost = total_spent(draft.get("usage", ()))
            process_budgets().charge(Subject("user", row.created_by), tokens=tokens, cost_usd=cost)
    elif output.ended is not None and store.finish_request(
        row.id, state="failed", error=_failure(events, output.ended, row.dag_run_id)
    ):
        emit("pipeline.generated", None, request_id=row.id, state="failed", user=row.created_by)


#: The marker of a run Airflow no longer has.
RUN_DELETED = "deleted"


def catch_up(
    store: Store,
    rows: Sequence[RequestRow],
    markers: Callable[[list[str]], Mapping[str, str]],
    output: Callable[[str], RunOutput],
) -> list[RequestRow]:
    """The rows with what their runs published copied into the store, for runs that changed.

    `markers` gives every open request's run marker in one look; a request whose marker is the
    one stored with it is skipped, so a list of unchanged open requests costs one query. The
    marker is read before the output: a run that publishes in between is copied again next time.
    """
    open_rows = [row for row in rows if row.state in OPEN_STATES and row.dag_run_id]
    if not open_rows:
        return list(rows)
    now = markers([row.dag_run_id for row in open_rows if row.dag_run_id])
    updated: dict[int, RequestRow] = {}
    for row in open_rows:
        assert row.dag_run_id is not None
        marker = now.get(row.dag_run_id, RUN_DELETED)
        if marker == row.run_marker:
            continue
        record_run(store, row, output(row.dag_run_id))
        store.update_request(row.id, run_marker=marker)
        updated[row.id] = store.get_request(row.id) or row
    return [updated.get(row.id, row) for row in rows]


def _event(item: Any) -> Event:
    try:
        return Event.model_validate(item)
    except ValidationError as exc:  # a worker of another version, or a hand-made XCom: say so, keep going
        return Event(agent=ORCHESTRATOR, message=f"an event could not be read: {exc}", level="warning")


def _outcome(
    row: RequestRow, data: Any
) -> tuple[str, str | None, DraftFields | None, GenerationResult | None]:
    """(request state, error, draft, the result read) from the task's return value."""
    if not isinstance(data, Mapping):
        return "failed", f"the generation task returned {type(data).__name__}, not a result", None, None
    values = dict(data)
    er = values.pop("er", None)
    try:
        result = GenerationResult.model_validate(values)
    except ValidationError as exc:
        return "failed", f"the generation task's result could not be read: {exc}", None, None
    state = "ready" if result.ok else "failed"
    error = None if result.ok else result.reason
    if result.spec is None:  # nothing to review: the request's error says why
        return state, error, None, result
    draft: DraftFields = {
        "dag_id": result.spec.dag_id,
        "state": state,
        "reason": result.reason,
        "spec": result.spec.model_dump(mode="json"),
        "spec_yaml": dumps_spec(result.spec),
        "source": result.source or "",
        "report": result.report.model_dump(mode="json"),
        "er": er if isinstance(er, dict) else None,
        "created_by": row.created_by,
        "parent_id": row.parent_draft_id,
        "usage": result.usage,
        "planned_by": result.planned_by,
        "fallback": result.fallback,
        "flagged": result.critics is not None and result.critics.flagged,
        "critics": result.critics.model_dump(mode="json") if result.critics is not None else None,
    }
    return state, error, draft, result


def _failure(events: Sequence[Event], ended: str, run_id: str | None) -> str:
    """Why a run that ended without a result failed: its last error event, else where to look."""
    errors = [e.message for e in events if e.level == "error"]
    if errors:
        return errors[-1]
    return (
        f"the generation run {run_id!r} of {SYSTEM_DAG_ID!r} ended ({ended}) before it published a draft; "
        "its task log in Airflow says why"
    )
