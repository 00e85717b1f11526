"""kafka_ingest step checks: the topic exists, and the fields it loads fit the target table.

The Kafka side is the catalog of the Kafka connection (catalog/kafka.py: one table per topic,
columns inferred from sampled messages, or from the step's Avro schema). What the step will
write is `columns` when given, else the Avro schema's fields, else the fields seen in the topic.

Finding codes (errors unless noted):
- `kafka.unknown_topic` - the Kafka connection's catalog has no such topic (field `topic`).
- `sql.unknown_table` - the target table (field `target.table`) or the dead-letter table is missing.
- `kafka.column_missing_in_target` - a column the step writes that the target table lacks
  (field `columns[i]`, or `columns` when the columns come from the messages).
- `kafka.key_missing` - a key column missing from the target table or from the message fields.
- `kafka.dead_letter_columns` - the dead-letter table lacks one of its five columns.
- `kafka.upsert_unsupported` - a key on a target that has no INSERT ... ON CONFLICT.
- `kafka.avro_schema_invalid` - the Avro schema does not parse (field `avro_schema`).
- `kafka.type_mismatch` (warning) - a field's type, as inferred from sampled messages, does not fit
  the target column: a guess from samples, so it does not block a deploy.
"""

from __future__ import annotations

from collections.abc import Mapping

from airflow_ai_etl.catalog.kafka import avro_columns
from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table
from airflow_ai_etl.spec.models import KafkaIngestStep
from airflow_ai_etl.validation.report import Finding, Severity
from airflow_ai_etl.validation.schema import has_columns
from airflow_ai_etl.validation.typefamily import Fit, fit, type_info

#: Target dialects whose INSERT knows ON CONFLICT (as KafkaToSqlOperator's upsert needs).
_UPSERT_DIALECTS = ("postgres", "sqlite")
_DEAD_LETTER_COLUMNS = ("topic", "partition", "offset", "payload", "error")


def _finding(
    step: KafkaIngestStep,
    code: str,
    message: str,
    field: str,
    hint: str | None = None,
    *,
    severity: Severity = Severity.ERROR,
) -> Finding:
    return Finding(severity=severity, code=code, message=message, step_id=step.id, field=field, hint=hint)


def _avro_findings(step: KafkaIngestStep) -> list[Finding]:
    if step.avro_schema is None:
        return []
    try:
        from fastavro import parse_schema
    except ImportError:  # the kafka extra is not installed here; the operator checks it at run time
        return []
    try:
        parse_schema(dict(step.avro_schema))
    except Exception as error:  # fastavro raises several types for a bad schema
        return [
            _finding(step, "kafka.avro_schema_invalid", f"not a valid Avro schema: {error}", "avro_schema")
        ]
    return []


def _topic(step: KafkaIngestStep, catalog: SchemaCatalog | None) -> tuple[list[Finding], Table | None]:
    if catalog is None:
        return [], None
    table = next((t for t in catalog.tables if t.name == step.topic), None)
    if table is not None:
        return [], table
    known = ", ".join(t.name for t in catalog.tables[:20]) or "none"
    message = f"topic {step.topic} does not exist on connection {step.kafka_conn_id}"
    return [_finding(step, "kafka.unknown_topic", message, "topic", f"topics are: {known}")], None


def _written(
    step: KafkaIngestStep, topic: Table | None
) -> tuple[list[tuple[str, str]] | None, Mapping[str, Column]]:
    """(column, field at fault) the step writes (None: not known), and the message fields known."""
    fields: dict[str, Column] = {}
    if step.avro_schema is not None:
        fields = {c.name: c for c in avro_columns(step.avro_schema)}
    elif topic is not None and has_columns(topic):
        fields = {c.name: c for c in topic.columns}
    if step.columns is not None:
        return [(c, f"columns[{i}]") for i, c in enumerate(step.columns)], fields
    if fields:
        return [(name, "columns") for name in fields], fields
    return None, fields


def _target_findings(
    step: KafkaIngestStep,
    target: Table,
    written: list[tuple[str, str]] | None,
    fields: Mapping[str, Column],
    target_dialect: str,
) -> list[Finding]:
    findings = []
    for name, field in written or []:
        column = target.column(name)
        if column is None:
            findings.append(
                _finding(
                    step,
                    "kafka.column_missing_in_target",
                    f"the step writes column {name}, which {target.qualified_name} does not have",
                    field,
                    "list the columns to load in 'columns', or add the column to the table",
                )
            )
            continue
        source = fields.get(name)
        if source is None or step.avro_schema is not None:
            continue  # Avro values are typed by the schema; the database converts or refuses them
        verdict = fit(type_info(source.type, ""), type_info(column.type, target_dialect))
        if verdict in (Fit.NARROWING, Fit.INCOMPATIBLE):
            findings.append(
                _finding(
                    step,
                    "kafka.type_mismatch",
                    f"field {name} looks like {source.type} in sampled messages; target column "
                    f"{target.qualified_name}.{name} is {column.type}",
                    field,
                    severity=Severity.WARNING,
                )
            )
    for name in step.key:
        if target.column(name) is None:
            message = f"key column {name} is not in target table {target.qualified_name}"
            findings.append(_finding(step, "kafka.key_missing", message, "key"))
    return findings


def _dead_letter_findings(step: KafkaIngestStep, catalog: SchemaCatalog) -> list[Finding]:
    if step.dead_letter_table is None:
        return []
    table = catalog.find_table(step.dead_letter_table)
    if table is None:
        message = (
            f"dead-letter table {step.dead_letter_table} does not exist on connection {step.target.conn_id}"
        )
        hint = 'create it: (topic text, "partition" integer, "offset" bigint, payload text, error text)'
        return [_finding(step, "sql.unknown_table", message, "dead_letter_table", hint)]
    missing = [c for c in _DEAD_LETTER_COLUMNS if has_columns(table) and table.column(c) is None]
    if not missing:
        return []
    message = f"dead-letter table {table.qualified_name} lacks column(s) {', '.join(missing)}"
    return [_finding(step, "kafka.dead_letter_columns", message, "dead_letter_table")]


def check_kafka_ingest(
    step: KafkaIngestStep,
    kafka_catalog: SchemaCatalog | None,
    target_catalog: SchemaCatalog | None,
    target_dialect: str,
) -> list[Finding]:
    """Every check of one kafka_ingest step; a catalog that is None (not known) skips its checks."""
    findings = _avro_findings(step)
    topic_findings, topic = _topic(step, kafka_catalog)
    findings += topic_findings
    written, fields = _written(step, topic)
    if fields and step.columns is None:
        for name in step.key:
            if name not in fields:
                message = f"key column {name} is not among the message fields {', '.join(fields)}"
                findings.append(_finding(step, "kafka.key_missing", message, "key", "set 'columns'"))
    if step.key and target_dialect and target_dialect not in _UPSERT_DIALECTS:
        message = (
            f"upsert by key needs INSERT ... ON CONFLICT (PostgreSQL, SQLite); connection "
            f"{step.target.conn_id} is {target_dialect}"
        )
        findings.append(_finding(step, "kafka.upsert_unsupported", message, "key", "drop 'key' to append"))
    if target_catalog is None:
        return findings
    target = target_catalog.find_table(step.target.table)
    if target is None:
        message = f"table {step.target.table} does not exist on connection {step.target.conn_id}"
        hint = "create it in an earlier sql step, or name an existing table"
        findings.append(_finding(step, "sql.unknown_table", message, "target.table", hint))
    elif has_columns(target):
        findings += _target_findings(step, target, written, fields, target_dialect)
    findings += _dead_letter_findings(step, target_catalog)
    return findings
