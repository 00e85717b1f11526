"""A CREATE TABLE that shadows an existing table of the same name in another schema.

Such a statement is almost always a plan that missed the existing target (an unqualified name
resolved to the default schema): the load then fills a new, empty twin while the table the user
meant stays as it was. The finding names the existing tables so that a repair can load into them.
"""

from __future__ import annotations

from airflow_ai_etl.catalog.models import SchemaCatalog, Table
from airflow_ai_etl.validation.report import Finding, Severity

CODE = "sql.shadows_existing_table"


def shadow_findings(created: Table, catalog: SchemaCatalog | None, step_id: str) -> list[Finding]:
    """An error when `created` is new in its schema but its name exists in other schemas."""
    if catalog is None:
        return []
    schema = (created.schema_name or catalog.default_schema or "").lower()
    same_name = [t for t in catalog.tables if t.name.lower() == created.name.lower()]
    if not same_name or any((t.schema_name or "").lower() == schema for t in same_name):
        return []
    existing = ", ".join(sorted(t.qualified_name for t in same_name))
    return [
        Finding(
            severity=Severity.ERROR,
            code=CODE,
            message=f"CREATE TABLE {created.qualified_name} makes a new table although {existing} "
            f"already exists on {catalog.conn_id}",
            hint=f"load into the existing table ({existing}) or choose a name no schema uses",
            step_id=step_id,
            field="sql",
        )
    ]
