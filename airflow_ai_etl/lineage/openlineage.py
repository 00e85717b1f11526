"""A StepLineage as the OpenLineage provider's `OperatorLineage`: datasets with schema facets, the
SQL job facet, the column-lineage facet on the output, and output statistics.

Imported only when the provider's listener asks an operator for its facets, so the operators work
(and DAG files parse) without the provider installed.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.openlineage.extractors import OperatorLineage
from openlineage.client.event_v2 import Dataset as OLDataset
from openlineage.client.event_v2 import OutputDataset
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    output_statistics_output_dataset,
    schema_dataset,
    sql_job,
)

from airflow_ai_etl.lineage.model import IDENTITY, ColumnOrigin, Dataset, StepLineage


def _schema(dataset: Dataset) -> dict[str, Any]:
    if not dataset.fields:
        return {}
    fields = [schema_dataset.SchemaDatasetFacetFields(name=name, type=kind) for name, kind in dataset.fields]
    return {"schema": schema_dataset.SchemaDatasetFacet(fields=fields)}


def _input_field(origin: ColumnOrigin) -> column_lineage_dataset.InputField:
    subtype = "IDENTITY" if origin.transformation == IDENTITY else "TRANSFORMATION"
    return column_lineage_dataset.InputField(
        namespace=origin.namespace,
        name=origin.name,
        field=origin.field,
        transformations=[column_lineage_dataset.Transformation(type="DIRECT", subtype=subtype)],
    )


def _column_lineage(columns: dict[str, list[ColumnOrigin]]) -> dict[str, Any]:
    fields = {
        column: column_lineage_dataset.Fields(
            inputFields=[_input_field(o) for o in origins],
            transformationType=(
                "IDENTITY" if all(o.transformation == IDENTITY for o in origins) else "TRANSFORMATION"
            ),
            transformationDescription="",
        )
        for column, origins in columns.items()
        if origins
    }
    return (
        {"columnLineage": column_lineage_dataset.ColumnLineageDatasetFacet(fields=fields)} if fields else {}
    )


def operator_lineage(lineage: StepLineage) -> OperatorLineage:  # type: ignore[type-arg]
    inputs = [OLDataset(namespace=d.namespace, name=d.name, facets=_schema(d)) for d in lineage.inputs]
    outputs = []
    for index, dataset in enumerate(lineage.outputs):
        facets = _schema(dataset)
        statistics: dict[str, Any] = {}
        if index == 0:
            facets |= _column_lineage(lineage.columns)
            if lineage.rows is not None:
                statistics["outputStatistics"] = (
                    output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(rowCount=lineage.rows)
                )
        outputs.append(
            OutputDataset(
                namespace=dataset.namespace, name=dataset.name, facets=facets, outputFacets=statistics
            )
        )
    job_facets: dict[str, Any] = {}
    if lineage.sql:
        job_facets["sql"] = sql_job.SQLJobFacet(query=lineage.sql, dialect=lineage.dialect)
    return OperatorLineage(inputs=inputs, outputs=outputs, job_facets=job_facets)
