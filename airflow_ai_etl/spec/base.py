"""What every step kind's spec model is built from: the base model, the shared field types, and
the source/target shapes several kinds share.

Each kind's own model lives in its folder under `airflow_ai_etl.steps`; `spec.models` assembles them
into the `Step` union. Kind models import this module, never `spec.models`, so assembling the union
cannot cycle back into them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from croniter import croniter
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

#: Airflow's own presets (airflow.utils.dates.cron_presets), plus the two that need no cron.
SCHEDULE_PRESETS: frozenset[str] = frozenset(
    {"@once", "@continuous", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly"}
)

#: Suffixes that make Airflow treat a templated string as a template *file* name.
_TEMPLATE_FILE_SUFFIXES = (".sql", ".json", ".hql", ".sh", ".bash")
JINJA_MARKERS = ("{{", "}}", "{%", "%}", "{#", "#}")


class StrictModel(BaseModel):
    """Base for every spec model: unknown fields are errors, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_assignment=True)


def _no_jinja(value: str) -> str:
    """Reject Jinja markers: templated operator fields would evaluate them at run time."""
    for marker in JINJA_MARKERS:
        if marker in value:
            raise ValueError(
                f"must not contain the template marker {marker!r}: SQL in a spec is literal, "
                "not a Jinja template"
            )
    if value.rstrip().rstrip(";").rstrip().lower().endswith(_TEMPLATE_FILE_SUFFIXES):
        raise ValueError(
            "must not end with a file suffix such as '.sql': Airflow would read it as a template file name"
        )
    return value


def _valid_schedule(value: str | None) -> str | None:
    if value is None or value in SCHEDULE_PRESETS:
        return value
    if value.startswith("@"):
        raise ValueError(f"unknown schedule preset {value!r}; use one of {sorted(SCHEDULE_PRESETS)}")
    if len(value.split()) != 5 or not croniter.is_valid(value):
        raise ValueError(f"{value!r} is not a valid 5-field cron expression (e.g. '0 2 * * *')")
    return value


DagId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,199}$"),
    Field(description="Airflow dag_id: a letter, then letters, digits or underscores."),
]
StepId = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,99}$"),
    Field(description="Task id: lower-case letter, then lower-case letters, digits or underscores."),
]
ConnId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,249}$"),
    Field(description="An Airflow connection id."),
]
TableName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$"),
    Field(description="Table name, optionally qualified: table, schema.table or catalog.schema.table."),
]
ColumnName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$"),
    Field(description="A column name (unquoted identifier)."),
]
Sql = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100_000),
    AfterValidator(_no_jinja),
    Field(description="One SQL statement, literal (no Jinja), in the dialect of its connection."),
]
Schedule = Annotated[str | None, AfterValidator(_valid_schedule)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class TransferMode(StrEnum):
    APPEND = "append"
    REPLACE = "replace"
    UPSERT = "upsert"
    INCREMENTAL = "incremental"


class DestructiveOperation(StrEnum):
    DELETE = "delete"
    TRUNCATE = "truncate"
    DROP = "drop"
    ALTER = "alter"
    MERGE_DELETE = "merge_delete"  # MERGE ... WHEN MATCHED THEN DELETE
    REPLACE = "replace"  # CREATE OR REPLACE / CREATE TABLE over an existing object, INSERT OVERWRITE


class DestructiveGrant(StrictModel):
    """An explicit, reviewable permission for one destructive statement on one named table.

    Only a person grants: validation refuses a generated spec that carries one."""

    operation: DestructiveOperation
    table: TableName


class StepBase(StrictModel):
    id: StepId
    description: str = Field(default="", max_length=5_000, description="Shown as the task's doc_md.")
    depends_on: list[StepId] = Field(default_factory=list)


class TransferSource(StrictModel):
    conn_id: ConnId
    sql: Sql | None = None
    table: TableName | None = None

    @model_validator(mode="after")
    def _one_of_sql_or_table(self) -> TransferSource:
        if (self.sql is None) == (self.table is None):
            raise ValueError("give exactly one of 'sql' or 'table'")
        return self


class TransferTarget(StrictModel):
    conn_id: ConnId
    table: TableName
