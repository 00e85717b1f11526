"""The critics' vote on a draft as columns: `flagged` (below the agreement threshold) and `critics`
(the threshold and each critic's verdict and mismatches), so the page and the API read the vote
as data rather than from the words of an event; and the ER-diagram image of a request made from a
picture (`ai_etl_request_image`), which the worker's generation reads through the run's params.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from airflow_ai_etl.store.migrate import refuse_downgrade

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ai_etl_draft") as table:
        # Drafts stored before this revision were judged by no stored vote: not flagged.
        table.add_column(sa.Column("flagged", sa.Boolean(), nullable=False, server_default=sa.false()))
        table.add_column(sa.Column("critics", sa.JSON()))
    op.create_table(
        "ai_etl_request_image",
        sa.Column(
            "request_id",
            sa.Integer(),
            sa.ForeignKey("ai_etl_request.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("media_type", sa.String(50), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    refuse_downgrade(revision)
