"""Alembic environment of the store: always online, on the connection `store.migrate` passes in.

The version table is the store's own (`ai_etl_alembic_version`), so Airflow's `alembic_version`
and any other package's migrations in the same database are never touched; autogenerate looks
only at `ai_etl_` tables.
"""

from __future__ import annotations

from alembic import context

from airflow_ai_etl.store.migrate import VERSION_TABLE
from airflow_ai_etl.store.models import PREFIX, StoreBase


def _ours(name: str | None, type_: str, parent_names: object) -> bool:
    return type_ != "table" or (name or "").startswith(PREFIX)


context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=StoreBase.metadata,
    version_table=VERSION_TABLE,
    include_name=_ours,
    render_as_batch=True,  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
