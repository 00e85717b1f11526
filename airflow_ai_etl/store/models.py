"""The store's tables: requests, their events, drafts (every version), deployments, LLM usage, audit.

They live in the Airflow metadata database by default, under an `ai_etl_` prefix and on their own
MetaData: Airflow's migrations neither create nor drop them; the store's own migrations
(store/migrations, run by store/migrate.py) do, and a change here needs a migration there. JSON
columns hold the typed models of the rest of the package (spec, report, usage) as plain data, so a
row can be read back into them without a second schema.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

PREFIX = "ai_etl_"

RequestState = str  # "queued" | "running" | "ready" | "failed"
DraftState = str  # "ready" | "failed"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC on the way out, on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        return value.astimezone(dt.UTC) if value is not None else None

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class StoreBase(DeclarativeBase):
    """Separate from Airflow's own Base: these tables are the package's, not Airflow's."""


class RequestRow(StoreBase):
    __tablename__ = f"{PREFIX}request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request: Mapped[str] = mapped_column(Text)
    conn_ids: Mapped[list[str]] = mapped_column(JSON)
    schedule: Mapped[str | None] = mapped_column(String(200))
    dag_id: Mapped[str | None] = mapped_column(String(250))
    offline: Mapped[bool] = mapped_column(default=False)
    feedback: Mapped[str | None] = mapped_column(Text)
    parent_draft_id: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[RequestState] = mapped_column(String(20), default="queued")
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(250))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    dag_run_id: Mapped[str | None] = mapped_column(String(250))
    draft_id: Mapped[int | None] = mapped_column(Integer)
    #: The generation run as it was when its output was last copied (store.generation.run_marker).
    run_marker: Mapped[str | None] = mapped_column(String(200))
    #: Who planned the result: "model" or "offline (<why>)" (None until the run ends with a result).
    planned_by: Mapped[str | None] = mapped_column(Text)
    #: Why the offline planner stood in for a configured model that was unavailable, else None.
    fallback: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index(f"{PREFIX}request_created", "created_at"),)


class RequestImageRow(StoreBase):
    """The ER diagram of a request made from a picture (migration 0005), checked on upload (PNG or
    JPEG, at most `[ai_etl] image_max_mb`). A table of its own: listing requests never loads it."""

    __tablename__ = f"{PREFIX}request_image"

    request_id: Mapped[int] = mapped_column(
        ForeignKey(f"{PREFIX}request.id", ondelete="CASCADE"), primary_key=True
    )
    media_type: Mapped[str] = mapped_column(String(50))
    data: Mapped[bytes] = mapped_column(LargeBinary)


#: Where an event row keeps its phase: in its JSON data, which needs no schema change.
PHASE_KEY = "phase"


class EventRow(StoreBase):
    __tablename__ = f"{PREFIX}event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey(f"{PREFIX}request.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    agent: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(20), default="info")
    duration_ms: Mapped[float | None]
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: The event's data; a step's start event also carries `PHASE_KEY: "start"` here.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (UniqueConstraint("request_id", "seq", name=f"{PREFIX}event_seq"),)

    @property
    def phase(self) -> Literal["start", "end"]:
        """`start` for a step's start event, else `end` (Event.phase)."""
        return "start" if self.data.get(PHASE_KEY) == "start" else "end"


class DraftRow(StoreBase):
    __tablename__ = f"{PREFIX}draft"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey(f"{PREFIX}request.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    dag_id: Mapped[str | None] = mapped_column(String(250))
    state: Mapped[DraftState] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    spec: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    spec_yaml: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    er: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(250))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: As on the request that generated it; None for a draft a person made by editing a spec.
    planned_by: Mapped[str | None] = mapped_column(Text)
    fallback: Mapped[str | None] = mapped_column(Text)
    #: Below the critics' agreement threshold (migration 0005): shown, not blocked.
    flagged: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: The critics' vote (agents.verdicts.CriticVote as JSON: threshold, each verdict and its
    #: mismatches); None when no critics judged the draft.
    critics: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index(f"{PREFIX}draft_dag", "dag_id", "version"),)


class UsageRow(StoreBase):
    __tablename__ = f"{PREFIX}usage"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey(f"{PREFIX}request.id", ondelete="CASCADE"))
    draft_id: Mapped[int | None] = mapped_column(Integer)
    agent: Mapped[str] = mapped_column(String(100))
    requests: Mapped[int] = mapped_column(Integer, default=0)
    #: Requests that got no usable answer (errors, time-outs, malformed bodies).
    failed_requests: Mapped[int] = mapped_column(Integer, default=0)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float | None]
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class DeploymentRow(StoreBase):
    __tablename__ = f"{PREFIX}deployment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dag_id: Mapped[str] = mapped_column(String(250))
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # "deploy" | "rollback"
    draft_id: Mapped[int | None] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(Text)
    spec_sha256: Mapped[str] = mapped_column(String(64))
    deployed_by: Mapped[str] = mapped_column(String(250))
    deployed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (Index(f"{PREFIX}deployment_dag", "dag_id", "id"),)


class AuditRow(StoreBase):
    __tablename__ = f"{PREFIX}audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    user: Mapped[str] = mapped_column(String(250))
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(String(300))
    outcome: Mapped[str] = mapped_column(String(20))  # "ok" | "refused" | "failed"
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# -- usage ledger: what the LLM cache saved (migration 0003) ----------------------------------------


class UsageSavingRow(StoreBase):
    """What the LLM cache saved one agent while it generated one draft: the calls it answered and
    what those calls cost when they were made for real. Beside `UsageRow`, which holds what was spent."""

    __tablename__ = f"{PREFIX}usage_saving"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey(f"{PREFIX}draft.id", ondelete="CASCADE"))
    agent: Mapped[str] = mapped_column(String(100))
    cache_hits: Mapped[int] = mapped_column(Integer, default=0)
    saved_input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    saved_output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    saved_cost_usd: Mapped[float] = mapped_column(default=0.0)
