"""The spec model of a `file_export` step."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from airflow_ai_etl.spec.base import ConnId, StepBase, TransferSource
from airflow_ai_etl.steps.file_options import (
    CsvOptions,
    FileCompression,
    FileFormat,
    FilePath,
    check_file_options,
)


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
        check_file_options(self.format, self.csv, self.compression, exporting=True)
        return self
