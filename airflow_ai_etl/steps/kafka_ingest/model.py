"""The spec model of a `kafka_ingest` step."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, JsonValue, StringConstraints, model_validator

from airflow_ai_etl.spec.base import ColumnName, ConnId, StepBase, TableName, TransferTarget


class KafkaIngestStep(StepBase):
    """Consume a bounded batch of a Kafka topic into a table, exactly once (KafkaToSqlOperator).

    Offsets are stored in the target with the rows (table `ai_etl_kafka_offsets`), so a rerun
    after a crash loads no message twice, with or without a key.
    """

    kind: Literal["kafka_ingest"]
    kafka_conn_id: ConnId
    topic: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,249}$")]
    format: Literal["json", "avro", "confluent_avro"] = Field(
        default="json",
        description="json: a JSON object per message; avro: Avro binary written with avro_schema; "
        "confluent_avro: the same behind Confluent's magic byte and schema id.",
    )
    avro_schema: dict[str, JsonValue] | None = Field(
        default=None, description="The writer's Avro record schema (required for the Avro formats)."
    )
    avro_schema_id: int | None = Field(
        default=None, ge=0, description="confluent_avro only: the schema id messages must carry."
    )
    max_messages: int = Field(default=100_000, ge=1, le=10_000_000)
    target: TransferTarget
    key: list[ColumnName] = Field(
        default_factory=list,
        description="Columns identifying a row: rows are upserted, the last message wins.",
    )
    columns: list[ColumnName] | None = Field(
        default=None,
        description="Target columns taken from each message; default: the Avro fields, or the keys "
        "of the first JSON message.",
    )
    group_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,249}$")] | None = Field(
        default=None, description="Consumer group; default ai_etl.<dag_id>.<step id>."
    )
    dead_letter_table: TableName | None = Field(
        default=None,
        description="Messages that do not decode go here (topic, partition, offset, payload, error) "
        "instead of failing the task.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> KafkaIngestStep:
        if self.format == "json" and self.avro_schema is not None:
            raise ValueError("'avro_schema' is only used with format 'avro' or 'confluent_avro'")
        if self.format != "json":
            if self.avro_schema is None:
                raise ValueError(f"format {self.format!r} needs 'avro_schema' (the writer's record schema)")
            if self.avro_schema.get("type") != "record" or not isinstance(
                self.avro_schema.get("fields"), list
            ):
                raise ValueError("'avro_schema' must be an Avro record schema: {type: record, fields: [...]}")
        if self.avro_schema_id is not None and self.format != "confluent_avro":
            raise ValueError("'avro_schema_id' is only used with format 'confluent_avro'")
        if len(set(self.key)) != len(self.key):
            raise ValueError("'key' lists a column twice")
        if self.columns is not None:
            if not self.columns:
                raise ValueError("'columns' is empty; omit it to take the message fields")
            if len(set(self.columns)) != len(self.columns):
                raise ValueError("'columns' lists a column twice")
            missing = [k for k in self.key if k not in self.columns]
            if missing:
                raise ValueError(f"'key' column(s) {', '.join(missing)} not in 'columns'")
        if self.dead_letter_table is not None and self.dead_letter_table == self.target.table:
            raise ValueError("'dead_letter_table' must not be the target table")
        return self
