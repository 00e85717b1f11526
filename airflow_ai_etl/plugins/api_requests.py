"""POST /requests, GET /requests, GET /requests/{id}: a request is stored, then generated in a worker."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from airflow_ai_etl.budgets.limiter import BudgetExceeded, Subject, process_budgets
from airflow_ai_etl.deploy.system_dag import SYSTEM_DAG_ID
from airflow_ai_etl.plugins.audit import refuse
from airflow_ai_etl.plugins.auth import RequestUser, StoreDep, require_dag_access
from airflow_ai_etl.plugins.schemas import RequestIn, RequestOut, WaitOut
from airflow_ai_etl.plugins.views import request_out
from airflow_ai_etl.plugins.visibility import VISIBILITY_WINDOW, ReaderDep, request_dag_ids, visible_requests
from airflow_ai_etl.store import Store
from airflow_ai_etl.store.generation import catch_up, run_params
from airflow_ai_etl.store.models import RequestRow
from airflow_ai_etl.store.repository import OPEN_STATES

router = APIRouter(tags=["requests"])


def _input_problems(body: RequestIn, store: StoreDep) -> list[dict[str, Any]]:
    """Field-level problems that need Airflow or the store to see (the model checked the rest)."""
    from airflow_ai_etl.catalog.connections import UnknownConnectionError, describe_connection

    problems: list[dict[str, Any]] = []
    for index, conn_id in enumerate(body.conn_ids):
        try:
            describe_connection(conn_id)
        except UnknownConnectionError:
            problems.append(
                {
                    "loc": ["body", "conn_ids", index],
                    "msg": f"connection '{conn_id}' is not defined in Airflow",
                    "type": "unknown_connection",
                    "input": conn_id,
                }
            )
    if body.parent_draft_id is not None and store.get_draft(body.parent_draft_id) is None:
        problems.append(
            {
                "loc": ["body", "parent_draft_id"],
                "msg": f"there is no draft {body.parent_draft_id}",
                "type": "unknown_draft",
                "input": body.parent_draft_id,
            }
        )
    return problems


@router.post(
    "/requests",
    status_code=202,
    responses={
        422: {"description": "Bad input, per field"},
        429: {"description": "The user's budget is spent: the detail names the limit, Retry-After says when"},
        503: {"description": "System DAG missing"},
    },
)
def create_request(body: RequestIn, request: Request, user: RequestUser, store: StoreDep) -> RequestOut:
    """Store the request and trigger the system DAG `ai_etl_generate` to generate it in a worker."""
    if body.dag_id is not None:
        require_dag_access(
            request, store, method="POST", dag_id=body.dag_id, action="request", target="request"
        )
    problems = _input_problems(body, store)
    if problems:
        refuse(store, user=user, action="request", target="request", status=422, detail=problems)
    try:
        process_budgets().admit(Subject("user", user))
    except BudgetExceeded as exc:
        refuse(
            store,
            user=user,
            action="request",
            target="request",
            status=429,
            detail=str(exc),
            headers={"Retry-After": str(exc.retry_after)},
        )
    row = store.create_request(
        request=body.request,
        conn_ids=body.conn_ids,
        created_by=user,
        schedule=body.schedule,
        dag_id=body.dag_id,
        offline=body.offline,
        feedback=body.feedback,
        parent_draft_id=body.parent_draft_id,
    )
    return start_generation(
        store,
        row,
        user,
        detail={"conn_ids": body.conn_ids, "parent_draft_id": body.parent_draft_id},
    )


def start_generation(store: Store, row: RequestRow, user: str, *, detail: dict[str, Any]) -> RequestOut:
    """Trigger the system DAG `ai_etl_generate` for the stored request `row` (503 when Airflow has
    no usable system DAG), audit it with `detail`, and answer with the queued request."""
    from airflow_ai_etl.plugins.airflow_side import DagNotReady, ParamsRefused, trigger

    target = f"request:{row.id}"
    try:
        run = trigger(SYSTEM_DAG_ID, conf=run_params(store, row), user=user)
    except (DagNotReady, ParamsRefused) as exc:
        error = (
            f"the system DAG {SYSTEM_DAG_ID!r} is not known to Airflow: install it with "
            "`ai-etl install-system-dag` and let the dag-processor parse it"
            if isinstance(exc, DagNotReady)
            else f"the installed system DAG refused the run ({exc}): reinstall it with "
            "`ai-etl install-system-dag` (this version's DAG)"
        )
        store.update_request(row.id, state="failed", error=error)
        store.audit(user=user, action="request", target=target, outcome="failed", detail={"error": error})
        raise HTTPException(status_code=503, detail=error) from None
    store.update_request(row.id, dag_run_id=run.run_id)
    store.audit(user=user, action="request", target=target, detail={**detail, "dag_run_id": run.run_id})
    stored = store.get_request(row.id)
    assert stored is not None
    return request_out(stored)


@router.get("/requests")
def list_requests(
    who: ReaderDep, store: StoreDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[RequestOut]:
    """Requests of the DAGs the caller may read (and their own), newest first, without their events
    (runs that changed are copied first).

    A caller who may not read every DAG sees the visible ones among the newest `VISIBILITY_WINDOW`.
    """
    rows = store.list_requests(limit if who.all_dags else max(limit, VISIBILITY_WINDOW))
    return [request_out(row) for row in _caught_up(store, visible_requests(store, who, rows)[:limit])]


@router.get("/requests/{request_id}", responses={404: {"description": "Unknown request"}})
def get_request(
    request_id: int,
    who: ReaderDep,
    store: StoreDep,
    after: Annotated[int | None, Query(ge=0, description="Only events with seq > after")] = None,
) -> RequestOut:
    """One request with its events (poll with `after` = the last seq seen)."""
    row = store.get_request(request_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"there is no request {request_id}")
    who.check(request_dag_ids(store, [row])[row.id], row.created_by, f"request {request_id}")
    (row,) = _caught_up(store, [row])
    out = request_out(row, store.events(request_id, after))
    if row.state in OPEN_STATES and row.dag_run_id:
        from airflow_ai_etl.plugins.airflow_side import generation_wait

        wait = generation_wait(row.dag_run_id)
        out.waiting = WaitOut(**dataclasses.asdict(wait)) if wait else None
    return out


def _caught_up(store: StoreDep, rows: list[RequestRow]) -> list[RequestRow]:
    """The requests with what their generation runs published since the last look copied in."""
    from airflow_ai_etl.plugins.airflow_side import generation_markers, generation_output

    return catch_up(store, rows, generation_markers, generation_output)
