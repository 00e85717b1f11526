"""The spec model of a `spark_sql` step."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from airflow_ai_etl.spec.base import ColumnName, ConnId, Sql, StepBase


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
