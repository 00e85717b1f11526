"""PipelineSpec v1: the typed description of a pipeline that every other part works from.

The spec is data. Whatever produced it (a person, the offline planner, an LLM), nothing in it is
ever executed as Python: the renderer turns it into source through templates we wrote. The
constraints (here, in `spec.base` and in each kind's model under `airflow_ai_etl.steps`) therefore
do double duty: they keep a spec meaningful, and they keep the text that reaches a DAG file inside
the shapes the renderer expects (identifiers that are identifiers, SQL without Jinja markers).

This module assembles the kinds' models into the `Step` union and re-exports every spec name, so
`from airflow_ai_etl.spec.models import TransferStep` works wherever a model lives.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, field_validator

from airflow_ai_etl.spec.base import (
    SCHEDULE_PRESETS,
    ColumnName,
    ConnId,
    DagId,
    DestructiveGrant,
    DestructiveOperation,
    Label,
    Schedule,
    Sql,
    StepBase,
    StepId,
    StrictModel,
    TableName,
    TransferMode,
    TransferSource,
    TransferTarget,
)
from airflow_ai_etl.steps.file_export.model import FileExportStep
from airflow_ai_etl.steps.file_load.model import FileLoadStep
from airflow_ai_etl.steps.file_options import CsvOptions, FileCompression, FileFormat, FilePath
from airflow_ai_etl.steps.kafka_ingest.model import KafkaIngestStep
from airflow_ai_etl.steps.python_transform.model import PythonTransformStep, TransformExample
from airflow_ai_etl.steps.quality_check.model import (
    Check,
    ColumnCheck,
    Comparison,
    ExpressionCheck,
    FreshnessCheck,
    QualityCheckStep,
    RowCountChangeCheck,
    RowCountCheck,
)
from airflow_ai_etl.steps.spark_sql.model import (
    SPARK_RESERVED_SUFFIXES,
    SparkSqlStep,
    SparkTableName,
    SparkWriteMode,
)
from airflow_ai_etl.steps.sql.model import SqlStep
from airflow_ai_etl.steps.transfer.model import TransferStep

__all__ = [
    "MAX_STEPS",
    "SCHEDULE_PRESETS",
    "SPARK_RESERVED_SUFFIXES",
    "AnyStep",
    "Check",
    "ColumnCheck",
    "ColumnName",
    "Comparison",
    "ConnId",
    "CsvOptions",
    "DagId",
    "DestructiveGrant",
    "DestructiveOperation",
    "EmailAddress",
    "ExpressionCheck",
    "FailureNotification",
    "FileCompression",
    "FileExportStep",
    "FileFormat",
    "FileLoadStep",
    "FilePath",
    "FreshnessCheck",
    "KafkaIngestStep",
    "Label",
    "PipelineSpec",
    "PythonTransformStep",
    "QualityCheckStep",
    "RowCountChangeCheck",
    "RowCountCheck",
    "Schedule",
    "SparkSqlStep",
    "SparkTableName",
    "SparkWriteMode",
    "Sql",
    "SqlStep",
    "Step",
    "StepBase",
    "StepId",
    "StepKind",
    "StrictModel",
    "TableName",
    "TransferMode",
    "TransferSource",
    "TransferStep",
    "TransferTarget",
    "TransformExample",
    "use_step_models",
]


#: The most steps one spec may hold (validation stays linear; see benchmarks/validation_scale.py).
MAX_STEPS = 500


class StepKind(StrEnum):
    SQL = "sql"
    TRANSFER = "transfer"
    QUALITY_CHECK = "quality_check"
    FILE_LOAD = "file_load"
    FILE_EXPORT = "file_export"
    KAFKA_INGEST = "kafka_ingest"
    SPARK_SQL = "spark_sql"
    PYTHON_TRANSFORM = "python_transform"


#: The built-in kinds' models; `steps.registry` checks that it lists exactly these kinds.
AnyStep = (
    SqlStep
    | TransferStep
    | QualityCheckStep
    | FileLoadStep
    | FileExportStep
    | KafkaIngestStep
    | SparkSqlStep
    | PythonTransformStep
)
Step = Annotated[AnyStep, Field(discriminator="kind")]


#: An e-mail address and nothing else: no scheme, path, query, spaces or display name (RFC 5322's
#: dot-atom form, which is what notification addresses use).
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError(f"{value!r} is not an e-mail address (e.g. data-eng@example.com)")
    return value


EmailAddress = Annotated[
    str,
    StringConstraints(max_length=254),
    AfterValidator(_email),
    Field(description="An e-mail address, e.g. data-eng@example.com."),
]


class FailureNotification(StrictModel):
    """Who hears about a failed task (rendered as the smtp provider's SmtpNotifier)."""

    notify: Literal["email"]
    to: list[EmailAddress] = Field(min_length=1)
    smtp_conn_id: ConnId | None = None


class PipelineSpec(StrictModel):
    """A whole pipeline: DAG-level settings and its steps."""

    model_config = ConfigDict(title="PipelineSpec")

    spec_version: Literal[1] = 1
    dag_id: DagId
    description: str = Field(default="", max_length=2_000)
    request: str = Field(
        default="", max_length=20_000, description="The plain-language request it came from."
    )
    schedule: Schedule = Field(default=None, description="5-field cron, an Airflow preset, or null.")
    start_date: dt.date
    catchup: bool = False
    owner: Annotated[str, StringConstraints(min_length=1, max_length=100)] = "airflow"
    tags: list[Label] = Field(default_factory=lambda: ["ai-etl"])
    retries: int = Field(default=1, ge=0, le=20)
    retry_delay_minutes: float = Field(default=5, ge=0, le=1_440)
    max_active_runs: int = Field(default=1, ge=1, le=100)
    on_failure: FailureNotification | None = None
    steps: list[Step] = Field(
        min_length=1, max_length=MAX_STEPS, description=f"At most {MAX_STEPS} steps: split larger pipelines."
    )

    @field_validator("steps", mode="before")
    @classmethod
    def _at_most_max_steps(cls, steps: Any) -> Any:
        """Refused before any step is built, in the spec's own words (not pydantic's list wording)."""
        if isinstance(steps, list | tuple) and len(steps) > MAX_STEPS:
            raise ValueError(
                f"a pipeline holds at most {MAX_STEPS} steps, this one has {len(steps)}: "
                "split it into smaller pipelines"
            )
        return steps

    def step(self, step_id: str) -> AnyStep:
        """The step with this id (KeyError when there is none)."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)


def use_step_models(models: Sequence[type[StepBase]]) -> None:
    """Make `PipelineSpec.steps` accept exactly these models (the registry's, in its order).

    Only a kind registered beyond the built-in ones needs this: the built-in union above is what
    mypy and the published JSON schema see.
    """
    union: Any = Union[tuple(models)]  # noqa: UP007 - built at run time from a list
    PipelineSpec.model_fields["steps"].annotation = list[Annotated[union, Field(discriminator="kind")]]
    PipelineSpec.model_rebuild(force=True)
