"""GET /me: what the caller may do, in general or on one DAG, so the page offers only that.

The answers come from the same auth manager calls the write routes make (`is_authorized_dag`
with the DAG's team), so the page and the API cannot disagree.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from airflow_ai_etl.plugins.auth import ACTION_METHODS, user_object
from airflow_ai_etl.plugins.schemas import AccessOut
from airflow_ai_etl.plugins.visibility import ReaderDep
from airflow_ai_etl.spec.models import DagId

router = APIRouter(tags=["access"])


@router.get("/me")
def my_access(
    request: Request,
    who: ReaderDep,
    dag_id: Annotated[
        DagId | None,
        # Not `dag_id`: Airflow's own DAG check reads that query parameter and would refuse the question.
        Query(alias="dag", description="Ask about this DAG; omit for DAGs in general"),
    ] = None,
) -> AccessOut:
    """The caller's name and, per action, whether they may do it and why not."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagDetails
    from airflow.models.dag import DagModel

    user = user_object(request)
    details = DagDetails(id=dag_id, team_name=DagModel.get_team_name(dag_id)) if dag_id else None
    manager = get_auth_manager()
    may: dict[str, bool] = {}
    why_not: dict[str, str] = {}
    subject = f"DAG {dag_id!r}" if dag_id else "DAGs"
    for action, method in ACTION_METHODS.items():
        may[action] = manager.is_authorized_dag(method=method, user=user, details=details)
        if not may[action]:
            why_not[action] = f"{who.name} has no {method} permission on {subject} (ask an Airflow admin)"
    may["read"] = who.may_read(dag_id, None) if dag_id else True
    return AccessOut(user=who.name, dag_id=dag_id, may=may, why_not=why_not)
