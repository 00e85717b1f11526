"""Store: the one place that reads and writes the `ai_etl_` tables.

Each method is one short transaction, so that the api-server's worker processes can share the
database without holding locks across calls. Rows come back detached (expire_on_commit off):
callers read their attributes after the session closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Required, TypedDict, Unpack

from sqlalchemy import Engine, exc, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from airflow_ai_etl.agents.events import AgentUsage, Event
from airflow_ai_etl.store.engine import configured_url, engine_for
from airflow_ai_etl.store.models import (
    PHASE_KEY,
    AuditRow,
    DeploymentRow,
    DraftRow,
    EventRow,
    RequestImageRow,
    RequestRow,
    UsageRow,
    UsageSavingRow,
)

_SEQ_ATTEMPTS = 20

#: A request in these states may still get events and a draft.
OPEN_STATES = ("queued", "running")


class DraftFields(TypedDict, total=False):
    """What a new draft version holds (the store numbers it and stamps the time)."""

    dag_id: Required[str | None]
    state: Required[str]
    created_by: Required[str]
    spec: dict[str, Any] | None
    spec_yaml: str
    source: str
    report: dict[str, Any] | None
    er: dict[str, Any] | None
    reason: str | None
    parent_id: int | None
    usage: Iterable[AgentUsage]
    planned_by: str | None
    fallback: str | None
    flagged: bool
    critics: dict[str, Any] | None


class _NotOpen(Exception):
    """Raised inside a transaction to roll it back: the request was already ended."""


#: Request fields a worker or the API may change after creation.
_MUTABLE_REQUEST_FIELDS = frozenset({"state", "error", "dag_run_id", "draft_id", "run_marker"})


class Store:
    """Requests, events, drafts, usage, deployments and the audit log."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(engine_for(url))

    def session(self) -> Session:
        return self._sessions()

    # -- requests and their events ---------------------------------------------------------------

    def create_request(
        self,
        *,
        request: str,
        conn_ids: Sequence[str],
        created_by: str,
        schedule: str | None = None,
        dag_id: str | None = None,
        offline: bool = False,
        feedback: str | None = None,
        parent_draft_id: int | None = None,
        image: tuple[str, bytes] | None = None,
    ) -> RequestRow:
        """A queued request; `image` (media type, bytes) is the ER diagram of a request made from a
        picture, stored with it in the same transaction."""
        row = RequestRow(
            request=request,
            conn_ids=list(conn_ids),
            schedule=schedule,
            dag_id=dag_id,
            offline=offline,
            feedback=feedback,
            parent_draft_id=parent_draft_id,
            state="queued",
            created_by=created_by,
        )
        with self.session() as session, session.begin():
            session.add(row)
            if image is not None:
                session.flush()
                session.add(RequestImageRow(request_id=row.id, media_type=image[0], data=image[1]))
        return row

    def request_image(self, request_id: int) -> tuple[str, bytes] | None:
        """(media type, bytes) of the request's ER diagram; None for a request without one."""
        with self.session() as session:
            row = session.get(RequestImageRow, request_id)
            return (row.media_type, row.data) if row is not None else None

    def get_request(self, request_id: int) -> RequestRow | None:
        with self.session() as session:
            return session.get(RequestRow, request_id)

    def list_requests(self, limit: int = 100) -> list[RequestRow]:
        with self.session() as session:
            query = select(RequestRow).order_by(RequestRow.id.desc()).limit(limit)
            return list(session.scalars(query))

    def update_request(self, request_id: int, **fields: Any) -> None:
        unknown = set(fields) - _MUTABLE_REQUEST_FIELDS
        if unknown:
            raise ValueError(f"request fields {sorted(unknown)} cannot be changed")
        with self.session() as session, session.begin():
            session.execute(update(RequestRow).where(RequestRow.id == request_id).values(**fields))

    def start_request(self, request_id: int) -> None:
        """A queued request is running now (never undoes an end that happened meanwhile)."""
        with self.session() as session, session.begin():
            session.execute(
                update(RequestRow)
                .where(RequestRow.id == request_id, RequestRow.state == "queued")
                .values(state="running")
            )

    def add_events(self, request_id: int, events: Sequence[Event]) -> int:
        """Store the events of `events` past those already stored; returns how many were new.

        `events` is everything a run has published so far, in order, and an event's `seq` is its
        position (1, 2, 3 ...): two pollers copying the same run at once store each event once
        (the unique (request, seq) constraint turns the loser's insert into a retry).
        """
        for _attempt in range(_SEQ_ATTEMPTS):
            try:
                with self.session() as session, session.begin():
                    stored = session.scalar(
                        select(func.count()).select_from(EventRow).where(EventRow.request_id == request_id)
                    )
                    new = events[stored or 0 :]
                    session.add_all(
                        _event_row(request_id, seq, event) for seq, event in enumerate(new, (stored or 0) + 1)
                    )
                return len(new)
            except exc.IntegrityError:
                continue
        raise RuntimeError(f"request {request_id}: events kept changing while they were stored")

    def events(self, request_id: int, after: int | None = None) -> list[EventRow]:
        with self.session() as session:
            query = select(EventRow).where(EventRow.request_id == request_id)
            if after is not None:
                query = query.where(EventRow.seq > after)
            return list(session.scalars(query.order_by(EventRow.seq)))

    # -- drafts and usage ------------------------------------------------------------------------

    def add_draft(self, *, request_id: int, **fields: Unpack[DraftFields]) -> DraftRow:
        """Store a new draft version (numbered per dag_id) and the model usage that produced it."""
        with self.session() as session, session.begin():
            return _insert_draft(session, request_id, fields)

    def finish_request(
        self,
        request_id: int,
        *,
        state: str,
        error: str | None = None,
        draft: DraftFields | None = None,
        planned_by: str | None = None,
        fallback: str | None = None,
    ) -> bool:
        """End an open (queued or running) request as `state`, storing its draft with it, and who
        planned its result (`planned_by`, and `fallback`: why the offline planner stood in).

        One transaction: the draft is stored only if this call ends the request, so when two
        callers finish the same request at once, one draft is stored, not two. False when the
        request was not open.
        """
        try:
            with self.session() as session, session.begin():
                row = _insert_draft(session, request_id, draft) if draft is not None else None
                ended = session.execute(
                    update(RequestRow)
                    .where(RequestRow.id == request_id, RequestRow.state.in_(OPEN_STATES))
                    .values(
                        state=state,
                        error=error,
                        draft_id=row.id if row else None,
                        planned_by=planned_by,
                        fallback=fallback,
                    )
                )
                if ended.rowcount == 0:  # type: ignore[attr-defined]
                    raise _NotOpen
        except _NotOpen:
            return False
        return True

    def get_draft(self, draft_id: int) -> DraftRow | None:
        with self.session() as session:
            return session.get(DraftRow, draft_id)

    def usage(self, request_id: int) -> list[UsageRow]:
        with self.session() as session:
            query = select(UsageRow).where(UsageRow.request_id == request_id).order_by(UsageRow.id)
            return list(session.scalars(query))

    # -- deployments -----------------------------------------------------------------------------

    def record_deployment(
        self,
        *,
        dag_id: str,
        version: int,
        action: str,
        draft_id: int | None,
        path: str,
        spec_sha256: str,
        deployed_by: str,
    ) -> DeploymentRow:
        row = DeploymentRow(
            dag_id=dag_id,
            version=version,
            action=action,
            draft_id=draft_id,
            path=path,
            spec_sha256=spec_sha256,
            deployed_by=deployed_by,
        )
        with self.session() as session, session.begin():
            session.add(row)
        return row

    def draft_of_version(self, dag_id: str, version: int) -> int | None:
        """The draft that was deployed as `version` of `dag_id` (a rollback returns to it)."""
        with self.session() as session:
            return session.scalar(
                select(DeploymentRow.draft_id)
                .where(
                    DeploymentRow.dag_id == dag_id,
                    DeploymentRow.version == version,
                    DeploymentRow.action == "deploy",
                )
                .order_by(DeploymentRow.id.desc())
                .limit(1)
            )

    def live_deployments(self) -> list[DeploymentRow]:
        """The latest deploy or rollback of every DAG, newest first."""
        with self.session() as session:
            latest = select(func.max(DeploymentRow.id)).group_by(DeploymentRow.dag_id).scalar_subquery()
            query = (
                select(DeploymentRow).where(DeploymentRow.id.in_(latest)).order_by(DeploymentRow.id.desc())
            )
            return list(session.scalars(query))

    def live_deployment(self, dag_id: str) -> DeploymentRow | None:
        with self.session() as session:
            query = (
                select(DeploymentRow)
                .where(DeploymentRow.dag_id == dag_id)
                .order_by(DeploymentRow.id.desc())
                .limit(1)
            )
            return session.scalar(query)

    # -- audit -----------------------------------------------------------------------------------

    def audit(
        self,
        *,
        user: str,
        action: str,
        target: str,
        outcome: str = "ok",
        detail: dict[str, Any] | None = None,
    ) -> AuditRow:
        row = AuditRow(user=user, action=action, target=target, outcome=outcome, detail=detail or {})
        with self.session() as session, session.begin():
            session.add(row)
        return row

    def audit_log(self, limit: int = 100) -> list[AuditRow]:
        with self.session() as session:
            return list(session.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)))


def default_store() -> Store:
    """The store at the configured location (one engine per process)."""
    return Store.from_url(configured_url())


def _event_row(request_id: int, seq: int, event: Event) -> EventRow:
    return EventRow(
        request_id=request_id,
        seq=seq,
        agent=event.agent,
        message=event.message,
        level=event.level,
        duration_ms=event.duration_ms,
        input_tokens=event.input_tokens,
        output_tokens=event.output_tokens,
        at=event.at,
        data={**event.data, PHASE_KEY: "start"} if event.phase == "start" else event.data,
    )


def _insert_draft(session: Session, request_id: int, fields: DraftFields) -> DraftRow:
    dag_id = fields["dag_id"]
    version = 1
    if dag_id is not None:
        last = session.scalar(select(func.max(DraftRow.version)).where(DraftRow.dag_id == dag_id))
        version = (last or 0) + 1
    row = DraftRow(
        request_id=request_id,
        parent_id=fields.get("parent_id"),
        version=version,
        dag_id=dag_id,
        state=fields["state"],
        reason=fields.get("reason"),
        spec=fields.get("spec"),
        spec_yaml=fields.get("spec_yaml", ""),
        source=fields.get("source", ""),
        report=fields.get("report") or {"findings": []},
        er=fields.get("er") or {"tables": [], "relations": []},
        created_by=fields["created_by"],
        planned_by=fields.get("planned_by"),
        fallback=fields.get("fallback"),
        flagged=fields.get("flagged", False),
        critics=fields.get("critics"),
    )
    session.add(row)
    session.flush()
    for item in fields.get("usage", ()):
        session.add(
            UsageRow(
                request_id=request_id,
                draft_id=row.id,
                agent=item.agent,
                requests=item.requests,
                failed_requests=item.failed_requests,
                input_tokens=item.input_tokens,
                output_tokens=item.output_tokens,
                cost_usd=item.cost_usd,
            )
        )
        if item.cache_hits:
            session.add(
                UsageSavingRow(
                    draft_id=row.id,
                    agent=item.agent,
                    cache_hits=item.cache_hits,
                    saved_input_tokens=item.saved_input_tokens,
                    saved_output_tokens=item.saved_output_tokens,
                    saved_cost_usd=item.saved_cost_usd,
                )
            )
    return row
