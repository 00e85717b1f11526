"""GET /memory/similar: approved pipelines like a request (pipeline memory), for the page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from airflow_ai_etl.plugins.auth import ReadUser, StoreDep

router = APIRouter(tags=["memory"])


class SimilarPipelineOut(BaseModel):
    dag_id: str
    request: str
    score: float
    conn_ids: list[str]
    approver: str
    approved_at: str
    deployment_id: int


@router.get("/memory/similar")
def similar_pipelines(
    user: ReadUser,
    store: StoreDep,
    request: Annotated[str, Query(min_length=3, max_length=4000, description="The request's words")],
    conn_id: Annotated[list[str] | None, Query(description="Only pipelines over these connections")] = None,
    k: Annotated[int, Query(ge=1, le=20)] = 5,
) -> list[SimilarPipelineOut]:
    """The k approved (deployed) pipelines nearest in meaning to `request`, best first."""
    from airflow_ai_etl.memory.pipelines import open_memory

    found = open_memory(store).search(request, k=k, conn_ids=conn_id)
    return [SimilarPipelineOut(**f.to_json()) for f in found]
