"""POST /requests/image: an ER diagram uploaded from the page (or any client) becomes a request
for a draft that creates its tables on one connection.

The body is the image itself (`Content-Type: image/png` or `image/jpeg`; the bytes decide, not
the header), with `conn_id`, `request` and `dag_id` as query parameters. A body over
`[ai_etl] image_max_mb` is refused with 413 from its Content-Length, or as soon as the stream
passes the limit; anything but PNG/JPEG with 415; an unknown connection with 422.

No model is asked here: LLM agents run as Airflow tasks in workers. The checked image is stored
with the request, and the request is generated like a text one, by a run of the system DAG, whose
params carry the image (store.generation.run_params); the worker's task gives it to the vision
agent. The page follows the request as any other.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from airflow_ai_etl.budgets.limiter import BudgetExceeded, Subject, process_budgets
from airflow_ai_etl.plugins.api_requests import start_generation
from airflow_ai_etl.plugins.audit import refuse
from airflow_ai_etl.plugins.auth import RequestUser, StoreDep, require_dag_access
from airflow_ai_etl.plugins.schemas import RequestOut
from airflow_ai_etl.spec.base import ConnId, DagId

router = APIRouter(tags=["requests"])

_DEFAULT_REQUEST = "create the tables of this ER diagram"


@router.post(
    "/requests/image",
    status_code=202,
    responses={
        413: {"description": "The image is larger than [ai_etl] image_max_mb"},
        415: {"description": "The body is not a PNG or JPEG image"},
        422: {"description": "Unknown connection, or a bad parameter"},
        429: {"description": "The user's budget is spent"},
        503: {"description": "System DAG missing"},
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
    """Store the checked diagram with a request and trigger its generation in a worker."""
    from starlette.concurrency import run_in_threadpool

    from airflow_ai_etl.agents.images import ImageError, max_image_bytes, read_image_chunks
    from airflow_ai_etl.catalog.connections import UnknownConnectionError, describe_connection

    target = "request:image"
    if dag_id is not None:
        require_dag_access(request, store, method="POST", dag_id=dag_id, action="request", target=target)
    try:
        describe_connection(conn_id)
    except UnknownConnectionError:
        problem = {
            "loc": ["query", "conn_id"],
            "msg": f"connection '{conn_id}' is not defined in Airflow",
            "type": "unknown_connection",
            "input": conn_id,
        }
        refuse(store, user=user, action="request", target=target, status=422, detail=[problem])
    try:  # the user's budget, as for a text request (record_run charges what the run spent)
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

    def store_and_trigger() -> RequestOut:
        row = store.create_request(
            request=text,
            conn_ids=[conn_id],
            created_by=user,
            dag_id=dag_id,
            image=(image.media_type, image.data),
        )
        detail = {"conn_ids": [conn_id], "image": {"media_type": image.media_type, "bytes": len(image.data)}}
        return start_generation(store, row, user, detail=detail)

    return await run_in_threadpool(store_and_trigger)
