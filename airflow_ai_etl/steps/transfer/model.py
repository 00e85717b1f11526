"""The spec model of a `transfer` step."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from airflow_ai_etl.spec.base import ColumnName, StepBase, TransferMode, TransferSource, TransferTarget


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
