"""GET /doctor: the problems `ai-etl doctor` finds in this installation, each with its fix.

The page shows them above the request form. Findings name connections, hosts, folders and the git
remote, so reading them needs what reading Airflow's connections and configuration needs.
"""

from __future__ import annotations

from airflow.api_fastapi.core_api.security import requires_access_configuration, requires_access_connection
from fastapi import APIRouter, Depends

from airflow_ai_etl.plugins.schemas import DoctorFindingOut

router = APIRouter(tags=["doctor"])


@router.get(
    "/doctor",
    dependencies=[Depends(requires_access_connection("GET")), Depends(requires_access_configuration("GET"))],
    responses={403: {"description": "The caller may not read connections or configuration"}},
)
def doctor() -> list[DoctorFindingOut]:
    """Every check of `ai-etl doctor`, run by the api-server as it sees the installation: what it
    found and, for a problem (`ok` false), the fix."""
    from airflow_ai_etl.doctor.checks import run_checks

    return [DoctorFindingOut(check=f.check, ok=f.ok, message=f.message, fix=f.fix) for f in run_checks()]
