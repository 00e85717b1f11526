"""The store as it was before migrations: requests, events, drafts, usage, deployments, audit.

A store made by an earlier version (its tables, no version table) is stamped at this revision
instead of running it.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from airflow_ai_etl.store.migrate import refuse_downgrade

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True)


def _when(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _request_fk() -> sa.Column[object]:
    return sa.Column(
        "request_id", sa.Integer(), sa.ForeignKey("ai_etl_request.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "ai_etl_audit",
        _id(),
        _when("at"),
        sa.Column("user", sa.String(250), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("target", sa.String(300), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_table(
        "ai_etl_deployment",
        _id(),
        sa.Column("dag_id", sa.String(250), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("draft_id", sa.Integer()),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("spec_sha256", sa.String(64), nullable=False),
        sa.Column("deployed_by", sa.String(250), nullable=False),
        _when("deployed_at"),
    )
    op.create_index("ai_etl_deployment_dag", "ai_etl_deployment", ["dag_id", "id"])
    op.create_table(
        "ai_etl_request",
        _id(),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("conn_ids", sa.JSON(), nullable=False),
        sa.Column("schedule", sa.String(200)),
        sa.Column("dag_id", sa.String(250)),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("feedback", sa.Text()),
        sa.Column("parent_draft_id", sa.Integer()),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("created_by", sa.String(250), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.Column("dag_run_id", sa.String(250)),
        sa.Column("draft_id", sa.Integer()),
    )
    op.create_index("ai_etl_request_created", "ai_etl_request", ["created_at"])
    op.create_table(
        "ai_etl_draft",
        _id(),
        _request_fk(),
        sa.Column("parent_id", sa.Integer()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("dag_id", sa.String(250)),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("spec", sa.JSON()),
        sa.Column("spec_yaml", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("er", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(250), nullable=False),
        _when("created_at"),
    )
    op.create_index("ai_etl_draft_dag", "ai_etl_draft", ["dag_id", "version"])
    op.create_table(
        "ai_etl_event",
        _id(),
        _request_fk(),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(100), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("duration_ms", sa.Double()),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        _when("at"),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.UniqueConstraint("request_id", "seq", name="ai_etl_event_seq"),
    )
    op.create_table(
        "ai_etl_usage",
        _id(),
        _request_fk(),
        sa.Column("draft_id", sa.Integer()),
        sa.Column("agent", sa.String(100), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Double()),
        _when("at"),
    )


def downgrade() -> None:
    refuse_downgrade(revision)
