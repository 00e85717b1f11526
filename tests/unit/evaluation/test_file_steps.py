"""File steps in what the QA agent runs and what the eval harness reads off a draft: an export's
source query is a read query, a load's target is a written table with its mode; Kafka and Spark
steps likewise."""

from __future__ import annotations

from airflow_ai_etl.agents.qa import ReadQuery, read_queries
from airflow_ai_etl.evaluation.expectations import draft_facts
from airflow_ai_etl.spec import parse_spec
from airflow_ai_etl.validation import ValidationContext

SPEC = parse_spec(
    {
        "dag_id": "files",
        "start_date": "2026-01-01",
        "steps": [
            {
                "id": "load",
                "kind": "file_load",
                "path": "s3://lake/in/*.csv",
                "format": "csv",
                "target": {"conn_id": "dwh", "table": "public.orders"},
                "mode": "upsert",
                "key": ["id"],
            },
            {
                "id": "export",
                "kind": "file_export",
                "source": {"conn_id": "dwh", "sql": "SELECT id FROM public.customers"},
                "path": "/out/customers.csv",
                "format": "csv",
            },
            {
                "id": "export_table",
                "kind": "file_export",
                "source": {"conn_id": "dwh", "table": "public.orders"},
                "path": "/out/orders.csv",
                "format": "csv",
                "depends_on": ["load"],
            },
        ],
    }
)


def test_export_sources_are_read_queries() -> None:
    context = ValidationContext(connections={}, catalogs={})
    assert read_queries(SPEC, context) == [
        ReadQuery("export", "source.sql", "dwh", "SELECT id FROM public.customers"),
        ReadQuery("export_table", "source.table", "dwh", "SELECT * FROM public.orders"),
    ]


def test_draft_facts_see_loads_as_writes_and_exports_as_reads() -> None:
    facts = draft_facts(SPEC, {"dwh": "postgres"})
    assert facts.targets == ["public.orders"]
    assert facts.tables == ["public.customers"]  # orders is written by the pipeline itself
    assert facts.modes == ["upsert"]
    assert facts.step_kinds == ["file_export", "file_load"]


def test_draft_facts_cover_kafka_and_spark() -> None:
    spec = parse_spec(
        {
            "dag_id": "streams",
            "start_date": "2026-01-01",
            "steps": [
                {
                    "id": "ingest",
                    "kind": "kafka_ingest",
                    "kafka_conn_id": "kafka",
                    "topic": "orders",
                    "target": {"conn_id": "dwh", "table": "raw.orders"},
                    "key": ["id"],
                },
                {
                    "id": "rollup",
                    "kind": "spark_sql",
                    "conn_id": "spark",
                    "sql": "SELECT day, SUM(amount) AS total FROM lake.orders GROUP BY day",
                    "target_table": "lake.daily",
                    "mode": "overwrite_partitions",
                    "partition_by": ["day"],
                },
            ],
        }
    )
    facts = draft_facts(spec, {"dwh": "postgres"})
    assert facts.targets == ["raw.orders", "lake.daily"]
    assert facts.tables == ["lake.orders"]
    assert facts.modes == ["overwrite_partitions", "upsert"]
    assert facts.step_kinds == ["kafka_ingest", "spark_sql"]
