"""What `file_load` and `file_export` share beyond their models: the connections they use and the
operator arguments for format, storage, compression and CSV layout."""

from __future__ import annotations

from airflow_ai_etl.steps.file_export.model import FileExportStep
from airflow_ai_etl.steps.file_load.model import FileLoadStep
from airflow_ai_etl.steps.file_options import CsvOptions
from airflow_ai_etl.validation.context import STORAGE_FIELD

#: Where the file operators come from.
FILE_OPERATORS = "airflow_ai_etl.operators.files"


def storage_connection(step: FileLoadStep | FileExportStep) -> list[tuple[str, str]]:
    return [(STORAGE_FIELD, step.storage_conn_id)] if step.storage_conn_id else []


def _csv_kwargs(csv: CsvOptions | None) -> dict[str, object]:
    """Only the CSV options that differ from the operators' defaults, so files stay short."""
    if csv is None:
        return {}
    defaults = CsvOptions()
    return {
        f"csv_{name}": value for name, value in csv.model_dump().items() if value != getattr(defaults, name)
    }


def file_kwargs(step: FileLoadStep | FileExportStep) -> dict[str, object]:
    """The file operators' arguments both kinds pass the same way."""
    return {
        "format": step.format.value,
        "storage_conn_id": step.storage_conn_id,
        **_csv_kwargs(step.csv),
        "compression": None if step.compression.value == "auto" else step.compression.value,
        "batch_size": step.batch_size,
    }
