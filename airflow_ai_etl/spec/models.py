"""PipelineSpec v1: the typed description of a pipeline that every other part works from.

The spec is data. Whatever produced it (a person, the offline planner, an LLM), nothing in it is
ever executed as Python: the renderer turns it into source through templates we wrote. The
constraints below therefore do double duty: they keep a spec meaningful, and they keep the text
that reaches a DAG file inside the shapes the renderer expects (identifiers that are identifiers,
SQL without Jinja markers).
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Literal

from croniter import croniter
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    model_validator,
)

#: Airflow's own presets (airflow.utils.dates.cron_presets), plus the two that need no cron.
SCHEDULE_PRESETS: frozenset[str] = frozenset(
    {"@once", "@continuous", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly"}
)

#: The most steps one spec may hold (validation stays linear; see benchmarks/validation_scale.py).
MAX_STEPS = 500

#: Suffixes that make Airflow treat a templated string as a template *file* name.
_TEMPLATE_FILE_SUFFIXES = (".sql", ".json", ".hql", ".sh", ".bash")
_JINJA_MARKERS = ("{{", "}}", "{%", "%}", "{#", "#}")


class StrictModel(BaseModel):
    """Base for every spec model: unknown fields are errors, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_assignment=True)


def _no_jinja(value: str) -> str:
    """Reject Jinja markers: templated operator fields would evaluate them at run time."""
    for marker in _JINJA_MARKERS:
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


class StepKind(StrEnum):
    SQL = "sql"
    TRANSFER = "transfer"
    QUALITY_CHECK = "quality_check"
    FILE_LOAD = "file_load"
    FILE_EXPORT = "file_export"
    KAFKA_INGEST = "kafka_ingest"
    SPARK_SQL = "spark_sql"


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


class TransferStep(StepBase):
    """Copy a query's or a table's rows from a source connection into a table on a target connection."""

    kind: Literal["transfer"]
    source: TransferSource
    target: TransferTarget
    mode: TransferMode = TransferMode.APPEND
    key: list[ColumnName] = Field(default_factory=list, description="Key columns (required for upsert).")
    watermark: ColumnName | None = Field(
        default=None, description="Monotonic column (e.g. updated_at) for incremental mode."
    )
    batch_size: int = Field(default=10_000, ge=1, le=1_000_000)
    create_target: bool = Field(
        default=False, description="Create the target table from the source's column types when missing."
    )

    @model_validator(mode="after")
    def _mode_fields(self) -> TransferStep:
        if self.mode is TransferMode.UPSERT and not self.key:
            raise ValueError("mode 'upsert' needs 'key' (the columns that identify a row)")
        if self.mode is TransferMode.INCREMENTAL and self.watermark is None:
            raise ValueError("mode 'incremental' needs 'watermark' (a column that only grows)")
        if self.mode is not TransferMode.INCREMENTAL and self.watermark is not None:
            raise ValueError("'watermark' is only used with mode 'incremental'")
        if len(set(self.key)) != len(self.key):
            raise ValueError("'key' lists a column twice")
        return self


class Comparison(StrictModel):
    """Bounds for a numeric check; at least one must be given."""

    equal_to: float | None = None
    greater_than: float | None = None
    geq_to: float | None = None
    less_than: float | None = None
    leq_to: float | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> Comparison:
        if all(v is None for v in self.model_dump().values()):
            raise ValueError("give at least one bound: equal_to, greater_than, geq_to, less_than, leq_to")
        return self


class ColumnCheck(StrictModel):
    """A check on one column, run with common-sql's SQLColumnCheckOperator."""

    column: ColumnName
    check: Literal["not_null", "unique", "min", "max", "distinct_count"]
    bounds: Comparison | None = Field(default=None, description="Required for min, max, distinct_count.")

    @model_validator(mode="after")
    def _bounds(self) -> ColumnCheck:
        needs = self.check in ("min", "max", "distinct_count")
        if needs and self.bounds is None:
            raise ValueError(f"check {self.check!r} needs 'bounds'")
        if not needs and self.bounds is not None:
            raise ValueError(f"check {self.check!r} takes no 'bounds'")
        return self


class RowCountCheck(StrictModel):
    """The table holds at least (and at most) this many rows."""

    check: Literal["row_count"]
    min: int = Field(default=1, ge=0)
    max: int | None = Field(default=None, ge=0)


class RowCountChangeCheck(StrictModel):
    """Row count compared with the count after the previous successful run of this check."""

    check: Literal["row_count_change"]
    max_drop_pct: float | None = Field(default=None, gt=0, le=100)
    max_growth_pct: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _at_least_one(self) -> RowCountChangeCheck:
        if self.max_drop_pct is None and self.max_growth_pct is None:
            raise ValueError("give max_drop_pct, max_growth_pct or both")
        return self


class ExpressionCheck(StrictModel):
    """A boolean SQL expression over the table that must hold for every row (e.g. 'amount >= 0')."""

    check: Literal["expression"]
    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
    condition: Annotated[Sql, StringConstraints(max_length=2_000)]


class FreshnessCheck(StrictModel):
    """The newest value of a timestamp or date column is at most `max_age_minutes` old."""

    check: Literal["freshness"]
    column: ColumnName
    max_age_minutes: float = Field(gt=0, le=5_256_000, description="Oldest acceptable age; up to 10 years.")


Check = Annotated[
    ColumnCheck | RowCountCheck | RowCountChangeCheck | ExpressionCheck | FreshnessCheck,
    Field(discriminator="check"),
]


class QualityCheckStep(StepBase):
    """Column and table checks on one table; the task fails, naming the check, when one does not hold."""

    kind: Literal["quality_check"]
    conn_id: ConnId
    table: TableName
    checks: list[Check] = Field(min_length=1)

    @model_validator(mode="after")
    def _no_repeats(self) -> QualityCheckStep:
        """Each check at most once: the check operators key their checks by column and name."""
        seen: set[tuple[str, ...]] = set()
        for check in self.checks:
            if isinstance(check, ColumnCheck):
                identity: tuple[str, ...] = ("column", check.column.lower(), check.check)
                what = f"column {check.column!r} has the check {check.check!r} more than once"
            elif isinstance(check, ExpressionCheck):
                identity = ("expression", check.name)
                what = f"more than one expression check is named {check.name!r}"
            elif isinstance(check, RowCountChangeCheck):
                identity = ("row_count_change",)
                what = "give at most one row_count_change check per step"
            elif isinstance(check, FreshnessCheck):
                identity = ("freshness", check.column.lower())
                what = f"column {check.column!r} has more than one freshness check"
            else:
                continue
            if identity in seen:
                raise ValueError(what)
            seen.add(identity)
        return self


class FileFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"
    JSONL = "jsonl"


def _literal_path(value: str) -> str:
    """A file path is literal text: no Jinja (templated operator fields would run it), no controls."""
    for marker in _JINJA_MARKERS:
        if marker in value:
            raise ValueError(
                f"must not contain the template marker {marker!r}: a path in a spec is literal; "
                "partitioned paths belong in a hand-written DAG"
            )
    if any(not c.isprintable() for c in value):
        raise ValueError("must not contain control characters or line breaks")
    return value


FilePath = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2_000),
    AfterValidator(_literal_path),
    Field(
        description="An absolute local path or an s3://bucket/key URL. Loads also take a prefix ending "
        "in '/' or a glob (*, ?, [...]) in the last part, which match several files or objects."
    ),
]


class FileCompression(StrEnum):
    """Compression of a whole CSV or JSON-lines file, or the codec inside a Parquet file."""

    AUTO = "auto"
    NONE = "none"
    GZIP = "gzip"
    ZSTD = "zstd"
    SNAPPY = "snappy"


class CsvOptions(StrictModel):
    """How a CSV file is laid out (RFC 4180 quoting with '\"')."""

    delimiter: Annotated[str, StringConstraints(min_length=1, max_length=1, strip_whitespace=False)] = Field(
        default=",", description="One character between fields, e.g. ',', ';', '|' or a tab."
    )
    header: bool = Field(
        default=True, description="The first line names the columns; without it, give 'columns'."
    )
    null: Annotated[str, StringConstraints(max_length=20, strip_whitespace=False)] = Field(
        default="", description="The field text that means NULL (an empty field by default)."
    )

    @model_validator(mode="after")
    def _delimiter(self) -> CsvOptions:
        if self.delimiter in ('"', "\n", "\r") or self.delimiter.isalnum():
            raise ValueError(f"{self.delimiter!r} cannot be a delimiter")
        if any(not c.isprintable() for c in self.null):
            raise ValueError("'null' must not contain control characters")
        return self


def _file_options(
    format: FileFormat, csv: CsvOptions | None, compression: FileCompression, *, exporting: bool
) -> None:
    """Checks shared by file_load and file_export: options that belong to another format."""
    if csv is not None and format is not FileFormat.CSV:
        raise ValueError(f"'csv' options only apply to format 'csv', not {format.value!r}")
    if format is not FileFormat.PARQUET and compression is FileCompression.SNAPPY:
        raise ValueError("compression 'snappy' exists only inside Parquet files")
    if (
        format is FileFormat.PARQUET
        and not exporting
        and compression
        not in (
            FileCompression.AUTO,
            FileCompression.NONE,
        )
    ):
        raise ValueError("a Parquet file names its own codec: leave 'compression' at 'auto' for loads")


class FileLoadStep(StepBase):
    """Load a file, or every file under a prefix or glob, into a table in one transaction."""

    kind: Literal["file_load"]
    path: FilePath
    format: FileFormat
    storage_conn_id: ConnId | None = Field(
        default=None, description="AWS connection for s3:// paths (the provider's aws_default if unset)."
    )
    target: TransferTarget
    mode: TransferMode = Field(
        default=TransferMode.APPEND, description="append, replace (all rows) or upsert (by 'key')."
    )
    key: list[ColumnName] = Field(default_factory=list, description="Key columns (required for upsert).")
    columns: list[ColumnName] | None = Field(
        default=None,
        description="Target columns to fill: the CSV fields in order when there is no header, or the "
        "fields taken from each record (others are ignored). Default: the file's own column names.",
    )
    csv: CsvOptions | None = Field(default=None, description="CSV layout (format csv only).")
    compression: FileCompression = Field(
        default=FileCompression.AUTO, description="auto: from the suffix (.gz, .zst); or none, gzip, zstd."
    )
    batch_size: int = Field(default=10_000, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _consistent(self) -> FileLoadStep:
        if self.mode is TransferMode.INCREMENTAL:
            raise ValueError("mode 'incremental' is for transfers; a file load appends, replaces or upserts")
        if self.mode is TransferMode.UPSERT and not self.key:
            raise ValueError("mode 'upsert' needs 'key' (the columns that identify a row)")
        if len(set(self.key)) != len(self.key):
            raise ValueError("'key' lists a column twice")
        if self.columns is not None:
            if not self.columns or len({c.lower() for c in self.columns}) != len(self.columns):
                raise ValueError("'columns' must name each column once (omit it to use the file's)")
            missing = [k for k in self.key if k not in self.columns]
            if missing:
                raise ValueError(f"'key' column(s) {', '.join(missing)} are not in 'columns'")
        if self.csv is not None and not self.csv.header and self.columns is None:
            raise ValueError("a CSV file without a header needs 'columns'")
        _file_options(self.format, self.csv, self.compression, exporting=False)
        return self


class FileExportStep(StepBase):
    """Write a query's or a table's rows to one file; it appears at `path` only when complete."""

    kind: Literal["file_export"]
    source: TransferSource
    path: FilePath
    format: FileFormat
    storage_conn_id: ConnId | None = Field(
        default=None, description="AWS connection for s3:// paths (the provider's aws_default if unset)."
    )
    csv: CsvOptions | None = Field(default=None, description="CSV layout (format csv only).")
    compression: FileCompression = Field(
        default=FileCompression.AUTO,
        description="none, gzip or zstd for CSV and JSON lines (auto: none); snappy, zstd, gzip or "
        "none inside Parquet (auto: snappy).",
    )
    batch_size: int = Field(default=10_000, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _consistent(self) -> FileExportStep:
        _file_options(self.format, self.csv, self.compression, exporting=True)
        return self


class KafkaIngestStep(StepBase):
    """Consume a bounded batch of a Kafka topic into a table, exactly once (KafkaToSqlOperator).

    Offsets are stored in the target with the rows (table `ai_etl_kafka_offsets`), so a rerun
    after a crash loads no message twice, with or without a key.
    """

    kind: Literal["kafka_ingest"]
    kafka_conn_id: ConnId
    topic: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,249}$")]
    format: Literal["json", "avro", "confluent_avro"] = Field(
        default="json",
        description="json: a JSON object per message; avro: Avro binary written with avro_schema; "
        "confluent_avro: the same behind Confluent's magic byte and schema id.",
    )
    avro_schema: dict[str, JsonValue] | None = Field(
        default=None, description="The writer's Avro record schema (required for the Avro formats)."
    )
    avro_schema_id: int | None = Field(
        default=None, ge=0, description="confluent_avro only: the schema id messages must carry."
    )
    max_messages: int = Field(default=100_000, ge=1, le=10_000_000)
    target: TransferTarget
    key: list[ColumnName] = Field(
        default_factory=list,
        description="Columns identifying a row: rows are upserted, the last message wins.",
    )
    columns: list[ColumnName] | None = Field(
        default=None,
        description="Target columns taken from each message; default: the Avro fields, or the keys "
        "of the first JSON message.",
    )
    group_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,249}$")] | None = Field(
        default=None, description="Consumer group; default ai_etl.<dag_id>.<step id>."
    )
    dead_letter_table: TableName | None = Field(
        default=None,
        description="Messages that do not decode go here (topic, partition, offset, payload, error) "
        "instead of failing the task.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> KafkaIngestStep:
        if self.format == "json" and self.avro_schema is not None:
            raise ValueError("'avro_schema' is only used with format 'avro' or 'confluent_avro'")
        if self.format != "json":
            if self.avro_schema is None:
                raise ValueError(f"format {self.format!r} needs 'avro_schema' (the writer's record schema)")
            if self.avro_schema.get("type") != "record" or not isinstance(
                self.avro_schema.get("fields"), list
            ):
                raise ValueError("'avro_schema' must be an Avro record schema: {type: record, fields: [...]}")
        if self.avro_schema_id is not None and self.format != "confluent_avro":
            raise ValueError("'avro_schema_id' is only used with format 'confluent_avro'")
        if len(set(self.key)) != len(self.key):
            raise ValueError("'key' lists a column twice")
        if self.columns is not None:
            if not self.columns:
                raise ValueError("'columns' is empty; omit it to take the message fields")
            if len(set(self.columns)) != len(self.columns):
                raise ValueError("'columns' lists a column twice")
            missing = [k for k in self.key if k not in self.columns]
            if missing:
                raise ValueError(f"'key' column(s) {', '.join(missing)} not in 'columns'")
        if self.dead_letter_table is not None and self.dead_letter_table == self.target.table:
            raise ValueError("'dead_letter_table' must not be the target table")
        return self


class SparkWriteMode(StrEnum):
    """How a spark_sql step writes its query's rows into `target_table`."""

    OVERWRITE = "overwrite"  # replace every row (written aside, then swapped in)
    OVERWRITE_PARTITIONS = "overwrite_partitions"  # replace only the partitions the rows fall into
    APPEND = "append"  # add the rows; a rerun adds them again


#: Suffixes of the tables the Spark job writes aside; a target must not end with them.
SPARK_RESERVED_SUFFIXES = ("__ai_etl_staging", "__ai_etl_retired")


def _spark_table(value: str) -> str:
    if value.lower().endswith(SPARK_RESERVED_SUFFIXES):
        raise ValueError(f"table names ending in {' or '.join(SPARK_RESERVED_SUFFIXES)} are reserved")
    return value


SparkTableName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$"),
    AfterValidator(_spark_table),
    Field(description="A table in Spark's (Hive) catalog: table or database.table."),
]


class SparkSqlStep(StepBase):
    """Run Spark SQL with Hive support (spark-submit on the connection's master).

    With `target_table`, `sql` is one query (SELECT, WITH ..., VALUES) whose rows are written to
    that table by name, creating it when missing. Without it, `sql` is one statement run as it is
    (CREATE TABLE [AS], INSERT [OVERWRITE], ...), with the same allowlist as a `sql` step.
    """

    kind: Literal["spark_sql"]
    conn_id: ConnId
    sql: Sql
    target_table: SparkTableName | None = None
    mode: SparkWriteMode = Field(
        default=SparkWriteMode.OVERWRITE,
        description="overwrite (default): replace all rows; overwrite_partitions: replace the "
        "partitions the rows fall into (needs partition_by); append: add the rows (not idempotent).",
    )
    partition_by: list[ColumnName] = Field(
        default_factory=list, description="Partition columns of the target table, in order."
    )

    @model_validator(mode="after")
    def _target_fields(self) -> SparkSqlStep:
        if self.target_table is None:
            if "mode" in self.model_fields_set or self.partition_by:
                raise ValueError("'mode' and 'partition_by' are only used with 'target_table'")
            return self
        if self.mode is SparkWriteMode.OVERWRITE_PARTITIONS and not self.partition_by:
            raise ValueError("mode 'overwrite_partitions' needs 'partition_by' (the partition columns)")
        if len({c.lower() for c in self.partition_by}) != len(self.partition_by):
            raise ValueError("'partition_by' lists a column twice")
        return self


AnyStep = (
    SqlStep | TransferStep | QualityCheckStep | FileLoadStep | FileExportStep | KafkaIngestStep | SparkSqlStep
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

    def step(self, step_id: str) -> AnyStep:
        """The step with this id (KeyError when there is none)."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)
