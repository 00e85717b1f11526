"""KafkaToSqlOperator: load a bounded batch of a Kafka topic (JSON or Avro values) into a table.

Order of effects per attempt: read the offsets stored in the target, read and write messages
chunk by chunk into ONE open target transaction (on PostgreSQL the server itself parses JSON
chunks; records decoded here go by COPY), add the dead letters and
the offsets after the last message read, commit that transaction, and only then commit the
consumer offsets in Kafka. A worker that dies before the database commit leaves the table as it
was; one that dies after it leaves the rows and the offsets that cover them, so the next attempt
starts after them: no message is loaded twice, with or without a key (see `_kafka_sink`).

Partitions are assigned explicitly rather than subscribed, so a batch needs no group rebalance;
the group id names where offsets are stored. Memory is bounded by one chunk, not the batch.

Only `airflow.sdk` is imported at module level: DAG files import this module at every parse.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_ai_etl.operators._checks import check_at_least_one, check_columns
from airflow_ai_etl.operators._kafka_codec import (
    VALUE_FORMATS,
    Decoder,
    MalformedMessageError,
    avro_field_names,
    avro_schema_dict,
    decode_json,
    json_batch,
    make_decoder,
)
from airflow_ai_etl.operators._kafka_sink import (
    DEAD_LETTER_COLUMNS,
    DEFAULT_OFFSETS_TABLE,
    DeadLetter,
    TargetSink,
)
from airflow_ai_etl.operators._lineage import LineageMixin
from airflow_ai_etl.operators._sql import db_hook, require_upsert

if TYPE_CHECKING:
    from airflow.sdk import Context
    from confluent_kafka import Consumer, Message

    from airflow_ai_etl.lineage.model import StepLineage

__all__ = ["DEAD_LETTER_COLUMNS", "DEFAULT_OFFSETS_TABLE", "KafkaToSqlOperator", "MalformedMessageError"]

#: Messages fetched and written per chunk: large enough for COPY to pay off, small enough for memory.
CHUNK_MESSAGES = 10_000
#: Longest single wait on the consumer: librdkafka's batch call only returns when full or timed out.
_POLL_SLICE_S = 0.2


@dataclass
class BatchState:
    """What one attempt has read so far."""

    records: int = 0
    #: Bytes of the message values read (for the metrics).
    bytes: int = 0
    rejected: list[DeadLetter] = field(default_factory=list)
    #: partition -> the offset after the last message read from it (what Kafka stores as committed).
    next_offsets: dict[int, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return self.records + len(self.rejected)


def _advance(messages: list[Message], state: BatchState, pending: int) -> None:
    """Record the offset after each partition's last message in the chunk.

    Read from the end until each of the `pending` partitions has been seen, not from every message.
    """
    found: dict[int, int] = {}
    for message in reversed(messages):
        partition, offset = message.partition(), message.offset()
        assert partition is not None and offset is not None  # set on every non-error message
        found.setdefault(partition, offset + 1)
        if len(found) >= pending:
            break
    state.next_offsets.update(found)


def payload_text(value: bytes | None) -> str | None:
    """A rejected value for the dead-letter table's text column: as text when it is UTF-8 without
    NUL characters (which text columns refuse), else `\\x` and its bytes in hex (binary Avro)."""
    if value is None:
        return None
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    return text if text is not None and "\x00" not in text else "\\x" + value.hex()


class KafkaToSqlOperator(LineageMixin, BaseOperator):
    """Load up to `max_messages` messages from `topic` into `target_table`, exactly once.

    :param kafka_conn_id: connection of type `kafka`; its extra is the confluent-kafka config
        (`bootstrap.servers`, optionally `group.id`, security settings). Auto commit is always off.
    :param topic: topic to read, all of its partitions, from the offsets stored in
        `offsets_table` (else the group's committed offsets, else the earliest message unless the
        extra sets `auto.offset.reset`).
    :param target_conn_id: connection of the target table (any DB-API hook; COPY on PostgreSQL).
    :param target_table: table to write, optionally schema-qualified; it must exist.
    :param key: columns identifying a row: rows are upserted (PostgreSQL and SQLite targets) and
        the last message of a key wins. Without a key rows are inserted.
    :param max_messages: most messages read per attempt; the batch also ends at the end of every
        partition, or after `poll_timeout` seconds without a message.
    :param poll_timeout: seconds to wait for a message before ending the batch.
    :param group_id: consumer group whose offsets are read and committed; defaults to the
        connection's `group.id`.
    :param dead_letter_table: when set, messages that do not decode go to this table (columns
        topic, partition, offset, payload, error), in the same transaction as the rows, instead of
        failing the task. A payload that is not UTF-8 text is stored as `\\x` and hex digits.
    :param columns: target columns taken from each message (a missing field is NULL, other fields
        are ignored); defaults to the Avro schema's fields, or the keys of the first JSON message.
    :param value_format: `json` (a JSON object per message), `avro` (Avro binary written with
        `avro_schema`) or `confluent_avro` (the same behind Confluent's magic byte and schema id).
    :param avro_schema: the writer's Avro record schema (a dict or its JSON text); required for
        the Avro formats.
    :param avro_schema_id: for `confluent_avro`, the schema id messages must carry (any if unset).
    :param offsets_table: table in the target where offsets are stored with the rows (created
        when missing; default `ai_etl_kafka_offsets`). None keeps offsets only in Kafka: a crash
        between the two commits then re-reads the last batch (harmless with a key, duplicates
        without).
    """

    template_fields: Sequence[str] = ("topic", "target_table")
    ui_color = "#fdf0e8"
    #: What the last execute loaded, for its lineage: the columns taken and the rows written.
    _loaded: tuple[list[str], int] | None = None
    #: Whole-chunk JSON decoding, set in execute (for the JSON format only).
    _fast_json: Callable[[list[bytes | None]], list[dict[str, Any]] | None] | None = None

    def __init__(
        self,
        *,
        kafka_conn_id: str,
        topic: str,
        target_conn_id: str,
        target_table: str,
        key: Sequence[str] = (),
        max_messages: int = 100_000,
        poll_timeout: float = 10.0,
        group_id: str | None = None,
        dead_letter_table: str | None = None,
        columns: Sequence[str] | None = None,
        value_format: str = "json",
        avro_schema: Mapping[str, Any] | str | None = None,
        avro_schema_id: int | None = None,
        offsets_table: str | None = DEFAULT_OFFSETS_TABLE,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        where = self.task_id
        check_columns(where, "key", key)
        check_columns(where, "columns", columns)
        if columns is not None:
            if not columns:
                raise ValueError(f"{where}: 'columns' is empty; omit it to use the message fields")
            missing = [k for k in key if k not in columns]
            if missing:
                raise ValueError(f"{where}: 'key' column(s) {', '.join(missing)} not in 'columns'")
        check_at_least_one(where, "max_messages", max_messages)
        if poll_timeout <= 0:
            raise ValueError(f"{where}: 'poll_timeout' must be positive, got {poll_timeout}")
        if group_id is not None and not group_id.strip():
            raise ValueError(f"{where}: 'group_id' is empty")
        if value_format not in VALUE_FORMATS:
            raise ValueError(
                f"{where}: 'value_format' must be one of {', '.join(VALUE_FORMATS)}, got {value_format!r}"
            )
        schema: dict[str, Any] | None = None
        if value_format == "json":
            if avro_schema is not None:
                raise ValueError(f"{where}: 'avro_schema' is only used with an Avro 'value_format'")
        else:
            if avro_schema is None:
                raise ValueError(f"{where}: 'avro_schema' is required with value_format {value_format!r}")
            schema = avro_schema_dict(avro_schema, f"{where}: 'avro_schema'")
        if avro_schema_id is not None and value_format != "confluent_avro":
            raise ValueError(f"{where}: 'avro_schema_id' is only used with value_format 'confluent_avro'")
        if offsets_table is not None and not offsets_table.strip():
            raise ValueError(f"{where}: 'offsets_table' is empty; use None to keep offsets in Kafka only")
        if dead_letter_table is not None and dead_letter_table == offsets_table:
            raise ValueError(f"{where}: 'dead_letter_table' and 'offsets_table' must differ")
        self.kafka_conn_id = kafka_conn_id
        self.topic = topic
        self.target_conn_id = target_conn_id
        self.target_table = target_table
        self.key = list(key)
        self.max_messages = max_messages
        self.poll_timeout = poll_timeout
        self.group_id = group_id
        self.dead_letter_table = dead_letter_table
        self.columns = list(columns) if columns is not None else None
        self.value_format = value_format
        self.avro_schema = schema
        self.avro_schema_id = avro_schema_id
        self.offsets_table = offsets_table

    def _consumer(self) -> tuple[Consumer, str]:
        """A consumer from the provider hook, with the settings a commit-after-load batch needs.

        The hook takes no config overrides, so its config is built, adjusted, then handed back.
        """
        from airflow.providers.apache.kafka.hooks.consume import KafkaConsumerHook

        hook = KafkaConsumerHook(topics=[self.topic], kafka_config_id=self.kafka_conn_id)
        config = hook._build_config()
        if self.group_id is not None:
            config["group.id"] = self.group_id
        if not config.get("group.id"):
            raise ValueError(
                f"{self.task_id}: 'group_id' is not set and connection {self.kafka_conn_id!r} has no "
                "'group.id' in its extra; one is needed to remember what was loaded"
            )
        config.setdefault("auto.offset.reset", "earliest")
        config["enable.auto.commit"] = False
        config["enable.partition.eof"] = True
        consumer: Consumer = hook._get_client(config)
        return consumer, str(config["group.id"])

    def _assign(self, consumer: Consumer, stored: Mapping[int, int]) -> list[int]:
        """Assign every partition of the topic where the last load ended; the partition ids.

        Offsets stored with the data win over Kafka's committed ones: they are never behind.
        """
        from confluent_kafka import TopicPartition

        timeout = max(self.poll_timeout, 10.0)
        metadata = consumer.list_topics(self.topic, timeout=timeout).topics.get(self.topic)
        if metadata is None or metadata.error is not None or not metadata.partitions:
            reason = metadata.error if metadata is not None and metadata.error else "no partitions"
            raise ValueError(f"{self.task_id}: 'topic' {self.topic!r} cannot be read: {reason}")
        partitions = sorted(metadata.partitions)
        committed = consumer.committed([TopicPartition(self.topic, p) for p in partitions], timeout=timeout)
        positions = [
            TopicPartition(self.topic, tp.partition, stored[tp.partition]) if tp.partition in stored else tp
            for tp in committed
        ]
        consumer.assign(positions)
        return partitions

    def _decode_chunk(
        self, messages: list[Message], decode: Decoder, state: BatchState, pending: int
    ) -> list[dict[str, Any]]:
        """The chunk's records; the offsets after it; rejects (or the error) for what does not decode."""
        records = self._fast_json([m.value() for m in messages]) if self._fast_json is not None else None
        if records is None:
            records = []
            for message in messages:
                try:
                    records.append(decode(message.value()))
                except MalformedMessageError as malformed:
                    partition, offset = message.partition(), message.offset()
                    reason = f"topic {self.topic!r} partition {partition} offset {offset}: {malformed}"
                    if self.dead_letter_table is None:
                        raise ValueError(f"{self.task_id}: {reason}; nothing was loaded") from None
                    state.rejected.append(
                        (self.topic, partition or 0, offset or 0, payload_text(message.value()), reason)
                    )
        _advance(messages, state, pending)
        state.records += len(records)
        return records

    def _server_side_json(
        self, messages: list[Message], sink: TargetSink, state: BatchState, pending: int
    ) -> bool:
        """The JSON chunk parsed by PostgreSQL itself (see TargetSink.write_json); False: not done."""
        values = [m.value() for m in messages]
        if None in values:
            return False
        if sink.columns is None:
            try:
                sink.columns = self._columns(decode_json(values[0]))
            except MalformedMessageError:
                return False
        if not sink.write_json(values):  # type: ignore[arg-type]  # no None, checked above
            return False
        _advance(messages, state, pending)
        state.records += len(values)
        return True

    def _columns(self, first: dict[str, Any]) -> list[str]:
        if self.columns is not None:
            return self.columns
        if self.avro_schema is not None:
            return avro_field_names(self.avro_schema)
        columns = list(first)
        missing = [k for k in self.key if k not in columns]
        if missing:
            raise ValueError(
                f"{self.task_id}: 'key' column(s) {', '.join(missing)} are not among the message keys "
                f"{', '.join(columns)}; set 'columns'"
            )
        return columns

    def _load(
        self, consumer: Consumer, sink: TargetSink, decode: Decoder, stored: Mapping[int, int]
    ) -> BatchState:
        """Read the batch chunk by chunk, writing each into the sink's open transaction."""
        from confluent_kafka import KafkaError, KafkaException

        state = BatchState()
        server_json = self.value_format == "json" and sink.copy
        partitions = self._assign(consumer, stored)
        pending = set(partitions)  # partitions whose end is not reached yet
        idle_since = time.monotonic()
        while pending and state.size < self.max_messages:
            wanted = min(CHUNK_MESSAGES, self.max_messages - state.size)
            fetched = consumer.consume(wanted, min(_POLL_SLICE_S, self.poll_timeout))
            messages = []
            for message in fetched:
                error = message.error()
                if error is None:
                    messages.append(message)
                elif error.code() == KafkaError._PARTITION_EOF:
                    pending.discard(message.partition())
                else:
                    raise KafkaException(error)
            if not messages:
                if time.monotonic() - idle_since >= self.poll_timeout:
                    self.log.info("No message for %ss; ending the batch", self.poll_timeout)
                    break
                continue
            idle_since = time.monotonic()
            state.bytes += sum(map(len, messages))  # a Message's len is its value's
            if server_json and self._server_side_json(messages, sink, state, len(partitions)):
                continue
            records = self._decode_chunk(messages, decode, state, len(partitions))
            if records:
                if sink.columns is None:
                    sink.columns = self._columns(records[0])
                sink.write(records)
        return state

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_ai_etl.observability import metrics
        from airflow_ai_etl.observability.task_runs import measured_run

        with measured_run(self, context, "kafka_ingest") as moved:
            result, state, lag = self._ingest()
            moved.rows, moved.bytes = result["rows"], state.bytes
        metrics.kafka_batch(
            dag_id=self.dag_id,
            task_id=self.task_id,
            topic=self.topic,
            loaded=state.records,
            dead_letters=len(state.rejected),
            lag=lag,
        )
        return result

    def _ingest(self) -> tuple[dict[str, Any], BatchState, dict[int, int]]:
        """Load one batch; also the batch's state and each partition's lag after it."""
        from confluent_kafka import TopicPartition

        target = db_hook(self.target_conn_id, "target_conn_id")
        if self.key:
            require_upsert(target, f"{self.task_id}: target_conn_id {self.target_conn_id!r}")
        decode = make_decoder(self.value_format, self.avro_schema, self.avro_schema_id)
        self._fast_json = json_batch() if self.value_format == "json" else None
        consumer, group = self._consumer()
        try:
            sink = TargetSink(
                target,
                table=self.target_table,
                key=self.key,
                offsets_table=self.offsets_table,
                dead_letter_table=self.dead_letter_table,
            )
            try:
                stored = sink.stored_offsets(group, self.topic)
                state = self._load(consumer, sink, decode, stored)
                if state.size:
                    sink.commit(state.rejected, group, self.topic, state.next_offsets)
            finally:
                sink.close()
            # Only now, the load being committed; stored offsets too, for a crash may have left
            # Kafka's behind them (and lag monitors read Kafka's).
            settled = {**stored, **state.next_offsets}
            if settled:
                offsets = [TopicPartition(self.topic, p, o) for p, o in sorted(settled.items())]
                consumer.commit(offsets=offsets, asynchronous=False)
            lag = _lag(consumer, self.topic, settled)
        finally:
            consumer.close()
        self._loaded = (list(sink.columns or []), sink.rows)
        self.log.info(
            "Loaded %d rows from %s into %s (%d to the dead-letter table)",
            sink.rows,
            self.topic,
            self.target_table,
            len(state.rejected),
        )
        result = {
            "rows": sink.rows,
            "dead_letters": len(state.rejected),
            "offsets": {str(p): o for p, o in sorted(state.next_offsets.items())},
            "target_table": self.target_table,
        }
        return result, state, lag

    def step_lineage(self, complete: bool) -> StepLineage:
        """The topic -> the table; each column is the message field of the same name."""
        from airflow.sdk import BaseHook

        from airflow_ai_etl.lineage.model import Dataset, StepLineage, identity_columns
        from airflow_ai_etl.lineage.naming import kafka_namespace
        from airflow_ai_etl.operators._lineage import sql_side

        config = BaseHook.get_connection(self.kafka_conn_id).extra_dejson
        loaded = self._loaded if complete else None
        columns = loaded[0] if loaded else list(self.columns or avro_field_names(self.avro_schema or {}))
        topic = Dataset(kafka_namespace(config), str(self.topic), tuple((c, None) for c in columns))
        target = sql_side(self.target_conn_id, "target_conn_id", complete)
        target.read_catalog([str(self.target_table)])
        return StepLineage(
            inputs=[topic],
            outputs=[target.dataset(str(self.target_table))],
            columns=identity_columns(topic, columns),
            rows=loaded[1] if loaded else None,
        )


def _lag(consumer: Consumer, topic: str, committed: Mapping[int, int]) -> dict[int, int]:
    """Messages behind each partition's high watermark, from what the last fetches reported
    (`cached`: no request to the broker); partitions whose watermark is not known are left out."""
    from confluent_kafka import KafkaException, TopicPartition

    lag = {}
    for partition, offset in committed.items():
        try:
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), cached=True)
        except KafkaException:
            continue
        if high >= 0:
            lag[partition] = max(0, high - offset)
    return lag
