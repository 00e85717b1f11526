"""A step's lineage, independent of any lineage library: datasets by OpenLineage namespace and
name, their fields, the SQL that ran, and which input fields each output field comes from."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_ai_etl.lineage.columns import StatementLineage

#: OpenLineage's transformation subtypes: a column copied as it is, or computed from its sources.
IDENTITY = "IDENTITY"
TRANSFORMATION = "TRANSFORMATION"


@dataclass(frozen=True)
class Dataset:
    """A table, topic or file under its OpenLineage namespace and name; `fields` are (name, type)."""

    namespace: str
    name: str
    fields: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True)
class ColumnOrigin:
    """An input field one output field is computed from."""

    namespace: str
    name: str
    field: str
    transformation: str = IDENTITY


@dataclass
class StepLineage:
    """What one task read and wrote. `columns` maps each field of the (single) output to its origins."""

    inputs: list[Dataset] = field(default_factory=list)
    outputs: list[Dataset] = field(default_factory=list)
    sql: str | None = None
    dialect: str | None = None
    columns: dict[str, list[ColumnOrigin]] = field(default_factory=dict)
    #: Rows written to the output, when the task knows them (OpenLineage's output statistics).
    rows: int | None = None


def identity_columns(source: Dataset, columns: list[str]) -> dict[str, list[ColumnOrigin]]:
    """Each column copied unchanged from the field of the same name (files, topics, table copies)."""
    return {c: [ColumnOrigin(source.namespace, source.name, c)] for c in columns}


def statement_columns(
    statement: StatementLineage,
    dataset_of: Callable[[str], Dataset],
    renames: Mapping[str, str] | None = None,
) -> dict[str, list[ColumnOrigin]]:
    """A statement's column lineage with its SQL table names resolved to datasets by `dataset_of`."""
    result: dict[str, list[ColumnOrigin]] = {}
    for column, sources in statement.columns.items():
        origins = []
        for source in sources:
            dataset = dataset_of(source.table)
            origins.append(
                ColumnOrigin(dataset.namespace, dataset.name, source.column, source.transformation)
            )
        result[(renames or {}).get(column, column)] = origins
    return result
