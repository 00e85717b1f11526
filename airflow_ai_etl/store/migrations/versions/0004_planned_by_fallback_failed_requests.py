"""Who planned a result and why the offline planner stood in (`planned_by`, `fallback` on requests
and drafts), and the model requests that failed (`failed_requests` on usage), as columns.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from airflow_ai_etl.store.migrate import refuse_downgrade

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name in ("ai_etl_request", "ai_etl_draft"):
        with op.batch_alter_table(name) as table:
            table.add_column(sa.Column("planned_by", sa.Text()))
            table.add_column(sa.Column("fallback", sa.Text()))
    with op.batch_alter_table("ai_etl_usage") as table:
        # Usage stored before this revision counted no failed requests.
        table.add_column(sa.Column("failed_requests", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    refuse_downgrade(revision)
