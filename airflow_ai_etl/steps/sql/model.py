"""The spec model of a `sql` step."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from airflow_ai_etl.spec.base import ConnId, DestructiveGrant, Sql, StepBase


class SqlStep(StepBase):
    """Run one statement on a connection (INSERT, MERGE, UPDATE, CREATE TABLE [AS], CREATE VIEW)."""

    kind: Literal["sql"]
    conn_id: ConnId
    sql: Sql
    allow_destructive: list[DestructiveGrant] = Field(
        default_factory=list,
        description="Destructive statements (DELETE, TRUNCATE, DROP, ALTER, MERGE ... DELETE, replacing "
        "an existing object) are refused unless a person grants them here for the exact table.",
    )
