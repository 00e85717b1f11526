"""The spec model of a `file_load` step."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from airflow_ai_etl.spec.base import ColumnName, ConnId, StepBase, TransferMode, TransferTarget
from airflow_ai_etl.steps.file_options import (
    CsvOptions,
    FileCompression,
    FileFormat,
    FilePath,
    check_file_options,
)


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
        check_file_options(self.format, self.csv, self.compression, exporting=False)
        return self
