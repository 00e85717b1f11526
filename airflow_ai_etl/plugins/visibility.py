"""Who sees which requests, drafts and audit entries: those of the DAGs they may read.

Airflow's auth manager decides, per DAG and per team, as it does for Airflow's own DAG list
(`filter_authorized_dag_ids`); so FAB or Keycloak per-DAG rights and multi-team setups limit the
page the same way they limit Airflow. A row concerns the DAG its request asked for or its draft
writes; a row that concerns no DAG yet (a request still being planned, a refusal before any DAG
was named) is visible to the user it is about and to users who may read every DAG.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import select

from airflow_ai_etl.plugins.auth import ReadUser, StoreDep, user_object
from airflow_ai_etl.store import Store
from airflow_ai_etl.store.models import AuditRow, DraftRow, RequestRow

#: How many of the newest rows a caller who may not read every DAG has filtered for them.
VISIBILITY_WINDOW = 1000

if TYPE_CHECKING:
    from airflow.api_fastapi.auth.managers.models.base_user import BaseUser


def readable_dag_ids(user: BaseUser, dag_ids: Iterable[str]) -> set[str]:
    """The DAG ids among `dag_ids` that `user` may read, each checked with its team (if any).

    Teams exist only in multi-team mode (Airflow refuses a bundle's team otherwise), so only then
    is the DAG-to-team mapping read: one query fewer for every list a page polls.
    """
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.configuration import conf
    from airflow.models.dag import DagModel

    wanted = set(dag_ids)
    if not wanted:
        return set()
    teams: dict[str, str | None] = {}
    if conf.getboolean("core", "multi_team"):
        teams = DagModel.get_dag_id_to_team_name_mapping(sorted(wanted))
    by_team: dict[str | None, set[str]] = defaultdict(set)
    for dag_id in wanted:
        by_team[teams.get(dag_id)].add(dag_id)
    manager = get_auth_manager()
    readable: set[str] = set()
    for team, ids in by_team.items():
        readable |= manager.filter_authorized_dag_ids(dag_ids=ids, user=user, method="GET", team_name=team)
    return readable


def reads_every_dag(user: BaseUser) -> bool:
    """Whether the auth manager lets `user` read every DAG Airflow knows (as an admin or a viewer may).

    Asked through the DAG list, not a check without a DAG id: per-DAG auth managers answer that
    one with "any DAG".
    """
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session
    from sqlalchemy import func

    with create_session() as session:
        known = session.scalar(select(func.count(DagModel.dag_id))) or 0
        authorized = get_auth_manager().get_authorized_dag_ids(user=user, method="GET", session=session)
    return len(authorized) >= known


@dataclass
class Reader:
    """The caller of a read route, and what they may read."""

    name: str
    user: BaseUser
    _known: dict[str, bool] = field(default_factory=dict)

    @functools.cached_property
    def all_dags(self) -> bool:
        """May read every DAG: also sees the rows of others that concern no DAG yet."""
        return reads_every_dag(self.user)

    def may_read(self, dag_id: str | None, about: str | None) -> bool:
        """Whether a row concerning `dag_id` and made by (or about) user `about` is visible."""
        if about == self.name:
            return True
        if dag_id is None:
            return self.all_dags
        self.learn([dag_id])
        return self._known[dag_id]

    def learn(self, dag_ids: Iterable[str]) -> None:
        """Ask the auth manager about many DAGs at once (one call per team, not one per row)."""
        unknown = {d for d in dag_ids if d not in self._known}
        if unknown:
            readable = readable_dag_ids(self.user, unknown)
            self._known.update({d: d in readable for d in unknown})

    def check(self, dag_id: str | None, about: str | None, what: str) -> None:
        """403 naming the DAG when the caller may not read `what`."""
        if self.may_read(dag_id, about):
            return
        if dag_id is None:
            detail = (
                f"{what} is {about}'s and names no DAG yet: only they and users who may read every DAG see it"
            )
        else:
            detail = f"{what} belongs to DAG {dag_id!r}, which you may not read"
        raise HTTPException(status_code=403, detail=detail)


def reader(request: Request, name: ReadUser) -> Reader:
    return Reader(name=name, user=user_object(request))


ReaderDep = Annotated[Reader, Depends(reader)]


def draft_dag_ids(store: Store, draft_ids: Iterable[int | None]) -> dict[int, str | None]:
    ids = {d for d in draft_ids if d is not None}
    if not ids:
        return {}
    with store.session() as session:
        found = session.execute(select(DraftRow.id, DraftRow.dag_id).where(DraftRow.id.in_(ids)))
        return {draft_id: dag_id for draft_id, dag_id in found}


def request_dag_ids(store: Store, rows: Sequence[RequestRow]) -> dict[int, str | None]:
    """Each request's DAG: the one its draft writes, else the one it asked for."""
    drafted = draft_dag_ids(store, (r.draft_id for r in rows))
    return {r.id: drafted.get(r.draft_id or -1) or r.dag_id for r in rows}


def visible_requests(store: StoreDep, who: Reader, rows: Sequence[RequestRow]) -> list[RequestRow]:
    dags = request_dag_ids(store, rows)
    who.learn(d for d in dags.values() if d)
    return [r for r in rows if who.may_read(dags[r.id], r.created_by)]


def _audit_dag_ids(store: Store, rows: Sequence[AuditRow]) -> dict[int, str | None]:
    """The DAG each audit entry is about, from its target (`dag:`, `draft:` or `request:` + id)."""
    kinds: dict[int, tuple[str, str]] = {}
    for row in rows:
        kind, _, ident = row.target.partition(":")
        kinds[row.id] = (kind, ident)
    drafts = draft_dag_ids(store, (int(i) for k, i in kinds.values() if k == "draft" and i.isdigit()))
    request_ids = {int(i) for k, i in kinds.values() if k == "request" and i.isdigit()}
    requests: dict[int, str | None] = {}
    if request_ids:
        with store.session() as session:
            found = list(session.scalars(select(RequestRow).where(RequestRow.id.in_(request_ids))))
        requests = request_dag_ids(store, found)
    dags: dict[int, str | None] = {}
    for row_id, (kind, ident) in kinds.items():
        number = int(ident) if ident.isdigit() else -1
        dags[row_id] = {
            "dag": ident or None,
            "draft": drafts.get(number),
            "request": requests.get(number),
        }.get(kind)
    return dags


def visible_audit(store: Store, who: Reader, rows: Sequence[AuditRow]) -> list[AuditRow]:
    dags = _audit_dag_ids(store, rows)
    who.learn(d for d in dags.values() if d)
    return [r for r in rows if who.may_read(dags[r.id], r.user)]
