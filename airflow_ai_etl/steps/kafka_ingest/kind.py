"""The `kafka_ingest` kind: a bounded batch of a topic loaded into a table exactly once
(KafkaToSqlOperator)."""

from __future__ import annotations

from collections.abc import Mapping

from airflow_ai_etl.render.layout import Call
from airflow_ai_etl.render.source import DagSource
from airflow_ai_etl.steps.base import (
    Checking,
    DataFlow,
    EvalFacts,
    KindWithoutSql,
    Outside,
    StepCheck,
    TableUse,
)
from airflow_ai_etl.steps.kafka_ingest.model import KafkaIngestStep
from airflow_ai_etl.validation.kafka import check_kafka_ingest


class KafkaIngestKind(KindWithoutSql[KafkaIngestStep]):
    name = "kafka_ingest"
    model = KafkaIngestStep
    imports = {"KafkaToSqlOperator": "airflow_ai_etl.operators.kafka"}

    def connections(self, step: KafkaIngestStep) -> list[tuple[str, str]]:
        return [("kafka_conn_id", step.kafka_conn_id), ("target.conn_id", step.target.conn_id)]

    def check(self, step: KafkaIngestStep, checking: Checking) -> StepCheck:
        target_conn = step.target.conn_id
        kafka_catalog = checking.context.catalogs.get(step.kafka_conn_id)
        findings = check_kafka_ingest(
            step, kafka_catalog, checking.catalog(target_conn), checking.dialect(target_conn)
        )
        return StepCheck(findings=findings, use=TableUse(writes=[(target_conn, step.target.table)]))

    def summary(self, step: KafkaIngestStep) -> str:
        return (
            f"Loads messages of Kafka topic `{step.topic}` on `{step.kafka_conn_id}` into "
            f"`{step.target.table}` on `{step.target.conn_id}` ({step.format}), exactly once."
        )

    def task_calls(self, step: KafkaIngestStep, src: DagSource, doc_md: str) -> list[Call]:
        """KafkaToSqlOperator; the consumer group defaults to one per DAG and step, written out."""
        call = src.call(
            "KafkaToSqlOperator",
            split=True,
            task_id=step.id,
            kafka_conn_id=step.kafka_conn_id,
            topic=step.topic,
            target_conn_id=step.target.conn_id,
            target_table=step.target.table,
            key=step.key or None,
            columns=step.columns,
            max_messages=step.max_messages,
            group_id=step.group_id or f"ai_etl.{src.dag_id}.{step.id}",
            value_format=step.format,
            avro_schema=step.avro_schema,
            avro_schema_id=step.avro_schema_id,
            dead_letter_table=step.dead_letter_table,
            doc_md=doc_md,
        )
        return [call]

    def data_flow(self, step: KafkaIngestStep) -> DataFlow:
        """Each message field fills the target column of the same name: those `columns` names, or
        the Avro schema's fields (JSON without `columns`: the keys of the first message)."""
        columns = step.columns
        if columns is None and step.avro_schema is not None:
            fields = step.avro_schema.get("fields")
            columns = (
                [str(f["name"]) for f in fields if isinstance(f, dict) and "name" in f]
                if isinstance(fields, list)
                else None
            )
        return DataFlow(
            reads=[Outside("topic", step.topic, step.kafka_conn_id)],
            copies_by_name=True,
            columns=columns or None,
        )

    def tables(self, step: KafkaIngestStep, dialects: Mapping[str, str]) -> TableUse:
        """The target, and the dead-letter table when there is one (both are written)."""
        writes = [(step.target.conn_id, step.target.table)]
        if step.dead_letter_table is not None:
            writes.append((step.target.conn_id, step.dead_letter_table))
        return TableUse(writes=writes)

    def eval_facts(self, step: KafkaIngestStep) -> EvalFacts:
        """Rows are upserted by `key` (the last message wins), else appended."""
        return EvalFacts(modes=["upsert" if step.key else "append"])
