"""What a request's generation run looked like when its output was last copied (`run_marker`).

`GET /requests` compares it with the run's current marker and copies only runs that changed.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from airflow_ai_etl.store.migrate import refuse_downgrade

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ai_etl_request") as table:
        table.add_column(sa.Column("run_marker", sa.String(200)))


def downgrade() -> None:
    refuse_downgrade(revision)
