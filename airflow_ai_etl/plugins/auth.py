"""Who may do what: Airflow's own security dependencies, whatever auth manager is configured.

Reading needs DAG read access, generating and editing DAG create/edit, deploying, rolling back and
test runs DAG edit (`requires_access_dag`). The caller's name is kept on the request, for the audit
log of refused attempts (a 403 here, a 422 from body validation later).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

from airflow.api_fastapi.auth.managers.base_auth_manager import ResourceMethod
from airflow.api_fastapi.core_api.security import GetUserDep, requires_access_dag
from fastapi import Depends, HTTPException, Request

from airflow_ai_etl.store import Store, default_store

if TYPE_CHECKING:
    from airflow.api_fastapi.auth.managers.models.base_user import BaseUser

USER_STATE = "ai_etl_user"
_USER_OBJECT_STATE = "ai_etl_user_object"


def get_store() -> Store:
    """The store at `[ai_etl] store_url` (default: the metadata database); one engine per process."""
    return default_store()


StoreDep = Annotated[Store, Depends(get_store)]


def dag_permission(method: ResourceMethod, action: str | None = None) -> Callable[..., str]:
    """A dependency that checks DAG access for `method` and returns the user's name.

    With `action`, a refusal (403) is written to the audit log under that action.
    """
    check = requires_access_dag(method)

    def dependency(request: Request, user: GetUserDep, store: StoreDep) -> str:
        name = user.get_name()
        setattr(request.state, USER_STATE, name)
        setattr(request.state, _USER_OBJECT_STATE, user)
        try:
            check(request, user)
        except HTTPException as exc:
            if action is not None and exc.status_code == 403:
                store.audit(
                    user=name,
                    action=action,
                    target=request.url.path,
                    outcome="refused",
                    detail={"status": 403, "reason": f"no DAG {method} permission"},
                )
            raise
        return name

    return dependency


#: The DAG permission each write action needs, as checked below and reported by `GET /me`.
ACTION_METHODS: dict[str, ResourceMethod] = {
    "generate": "POST",
    "edit": "PUT",
    "deploy": "PUT",
    "rollback": "PUT",
    "run": "PUT",
    "schedule": "PUT",
}

ReadUser = Annotated[str, Depends(dag_permission("GET"))]
RequestUser = Annotated[str, Depends(dag_permission(ACTION_METHODS["generate"], "request"))]
EditUser = Annotated[str, Depends(dag_permission(ACTION_METHODS["edit"], "edit"))]
DeployUser = Annotated[str, Depends(dag_permission(ACTION_METHODS["deploy"], "deploy"))]
RollbackUser = Annotated[str, Depends(dag_permission(ACTION_METHODS["rollback"], "rollback"))]
RunUser = Annotated[str, Depends(dag_permission(ACTION_METHODS["run"], "test_run"))]
ScheduleUser = Annotated[str, Depends(dag_permission(ACTION_METHODS["schedule"], "schedule"))]


def user_object(request: Request) -> BaseUser:
    """The user a `dag_permission` dependency of this request resolved."""
    user: BaseUser = getattr(request.state, _USER_OBJECT_STATE)
    return user


def require_dag_access(
    request: Request, store: Store, *, method: ResourceMethod, dag_id: str, action: str, target: str
) -> None:
    """Check `method` access to one named DAG (a draft's dag_id is in no path); refusals are audited.

    Routes check DAG access in general first; auth managers with per-DAG rights (FAB, Keycloak)
    then decide on the DAG the draft would write.
    """
    user = user_object(request)
    try:
        requires_access_dag(method, param_dag_id=dag_id)(request, user)
    except HTTPException as exc:
        if exc.status_code == 403:
            store.audit(
                user=user.get_name(),
                action=action,
                target=target,
                outcome="refused",
                detail={"status": 403, "reason": f"no {method} permission on DAG {dag_id!r}"},
            )
        raise
