"""POST /requests/image: an ER diagram uploaded from the page (or any client) becomes a draft that
creates its tables on one connection.

The body is the image itself (`Content-Type: image/png` or `image/jpeg`; the bytes decide, not
the header), with `conn_id`, `request` and `dag_id` as query parameters. A body over
`[ai_etl] image_max_mb` is refused with 413 from its Content-Length, or as soon as the stream
passes the limit; anything but PNG/JPEG with 415; an unknown connection with 422.

Unlike a text request, the vision model is asked here, in the api-server (one bounded model call,
`[ai_etl] llm_timeout`; no agent loop and no code is run): the image would otherwise have to
travel to a worker through the DAG run's params. The request and its draft are stored through
the same path a worker's result takes (`store.generation.record_run`), so the page shows them as
any other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Query, Request

from airflow_ai_etl.budgets.limiter import BudgetExceeded, Subject, process_budgets
from airflow_ai_etl.plugins.audit import refuse
from airflow_ai_etl.plugins.auth import RequestUser, StoreDep, require_dag_access
from airflow_ai_etl.plugins.schemas import RequestOut
from airflow_ai_etl.plugins.views import request_out
from airflow_ai_etl.spec.base import ConnId, DagId

if TYPE_CHECKING:
    from airflow_ai_etl.agents.images import Image
    from airflow_ai_etl.store import Store

router = APIRouter(tags=["requests"])

_DEFAULT_REQUEST = "create the tables of this ER diagram"


@router.post(
    "/requests/image",
    status_code=201,
    responses={
        413: {"description": "The image is larger than [ai_etl] image_max_mb"},
        415: {"description": "The body is not a PNG or JPEG image"},
        422: {"description": "Unknown connection, or a bad parameter"},
        429: {"description": "The user's budget is spent"},
    },
)
async def create_image_request(
    *,
    request: Request,
    user: RequestUser,
    store: StoreDep,
    conn_id: Annotated[ConnId, Query(description="The connection to create the tables on.")],
    text: Annotated[str, Query(alias="request", max_length=20_000)] = _DEFAULT_REQUEST,
    dag_id: Annotated[DagId | None, Query()] = None,
) -> RequestOut:
    """Read the diagram with the vision model and store the draft (ready, or failed with why)."""
    from starlette.concurrency import run_in_threadpool

    from airflow_ai_etl.agents.images import ImageError, max_image_bytes, read_image_chunks

    target = "request:image"
    if dag_id is not None:
        require_dag_access(request, store, method="POST", dag_id=dag_id, action="request", target=target)
    try:  # the user's budget, as for a text request (record_run charges what the call spent)
        process_budgets().admit(Subject("user", user))
    except BudgetExceeded as exc:
        headers = {"Retry-After": str(exc.retry_after)}
        refuse(
            store, user=user, action="request", target=target, status=429, detail=str(exc), headers=headers
        )
    limit = max_image_bytes()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        detail = (
            f"the image is {int(declared)} bytes; images up to {limit} bytes are accepted "
            "([ai_etl] image_max_mb)"
        )
        refuse(store, user=user, action="request", target=target, status=413, detail=detail)
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        received += len(chunk)
        if received > limit:
            break  # read_image_chunks refuses it; nothing more is read
    try:
        image = read_image_chunks(chunks, "the uploaded image", limit)
    except ImageError as exc:
        refuse(
            store,
            user=user,
            action="request",
            target=target,
            status=413 if exc.too_large else 415,
            detail=str(exc),
        )
    return await run_in_threadpool(
        _generate, image=image, text=text, conn_id=conn_id, dag_id=dag_id, user=user, store=store
    )


def _generate(
    *, image: Image, text: str, conn_id: str, dag_id: str | None, user: str, store: Store
) -> RequestOut:
    from airflow_ai_etl.agents.from_picture import generate_from_picture
    from airflow_ai_etl.catalog import CatalogError, UnknownConnectionError, introspect
    from airflow_ai_etl.store.generation import RunOutput, published_result, record_run

    target = "request:image"
    try:
        catalog = introspect(conn_id)
    except (UnknownConnectionError, CatalogError) as exc:
        problem = {
            "loc": ["query", "conn_id"],
            "msg": str(exc),
            "type": "unknown_connection",
            "input": conn_id,
        }
        refuse(store, user=user, action="request", target=target, status=422, detail=[problem])
    row = store.create_request(request=text, conn_ids=[conn_id], created_by=user, dag_id=dag_id)
    result = generate_from_picture(image, text, catalog, dag_id=dag_id)
    events = [e.model_dump(mode="json") for e in result.events]
    record_run(
        store, row, RunOutput(events=events, result=published_result(result, [catalog]), ended="success")
    )
    store.audit(
        user=user,
        action="request",
        target=f"request:{row.id}",
        detail={"conn_ids": [conn_id], "image": {"media_type": image.media_type, "bytes": len(image.data)}},
    )
    stored = store.get_request(row.id)
    assert stored is not None
    return request_out(stored, store.events(row.id, None))
