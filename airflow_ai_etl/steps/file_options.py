"""File formats, paths and CSV layout: the spec fields `file_load` and `file_export` share."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from airflow_ai_etl.spec.base import JINJA_MARKERS, StrictModel


class FileFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"
    JSONL = "jsonl"


def _literal_path(value: str) -> str:
    """A file path is literal text: no Jinja (templated operator fields would run it), no controls."""
    for marker in JINJA_MARKERS:
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


def check_file_options(
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
