"""What the LLM cache saved per agent and draft (`ai_etl_usage_saving`), beside what was spent.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from airflow_ai_etl.store.migrate import refuse_downgrade

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ai_etl_usage_saving",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "draft_id", sa.Integer(), sa.ForeignKey("ai_etl_draft.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("agent", sa.String(100), nullable=False),
        sa.Column("cache_hits", sa.Integer(), nullable=False),
        sa.Column("saved_input_tokens", sa.Integer(), nullable=False),
        sa.Column("saved_output_tokens", sa.Integer(), nullable=False),
        sa.Column("saved_cost_usd", sa.Double(), nullable=False),
    )


def downgrade() -> None:
    refuse_downgrade(revision)
