"""KafkaToSqlOperator: load a bounded batch of JSON messages from a Kafka topic into a table.

Order of effects per attempt: read the batch, write all of it in ONE target transaction, commit
that transaction, and only then commit the consumer offsets (synchronously). A failure before the
database commit leaves both the table and the offsets as they were, so a retry re-reads the same
messages. A crash between the two commits re-reads messages already loaded: with `key` they are
upserted again (no duplicates); without a key they are inserted twice (at-least-once).

Partitions are assigned explicitly rather than subscribed, so a batch needs no group rebalance;
the group id only names where offsets are stored. Values are JSON objects; Avro is not handled.

Only `airflow.sdk` is imported at module level: DAG files import this module at every parse.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_ai_etl.operators._sql import db_hook, insert_statement, require_upsert, upsert_statement

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook
    from airflow.sdk import Context
    from confluent_kafka import Consumer, Message

#: Columns of a dead-letter table, in this order.
DEAD_LETTER_COLUMNS = ("topic", "partition", "offset", "payload", "error")


class MalformedMessageError(ValueError):
    """A message that is not a JSON object; the text names topic, partition and offset."""


@dataclass
class Batch:
    """What one attempt read: decoded rows, rejected messages, and the offsets to commit."""

    records: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[tuple[str, int, int, str | None, str]] = field(default_factory=list)
    #: partition -> the offset after the last message read from it (what Kafka stores as committed).
    next_offsets: dict[int, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.records) + len(self.rejected)


def decode(message: Message) -> dict[str, Any]:
    """The message value as a JSON object, or MalformedMessageError naming where it sits."""
    where = f"topic {message.topic()!r} partition {message.partition()} offset {message.offset()}"
    value = message.value()
    if value is None:
        raise MalformedMessageError(f"{where}: message has no value (expected a JSON object)")
    try:
        decoded = json.loads(value)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
        raise MalformedMessageError(f"{where}: not valid JSON ({error})") from None
    if not isinstance(decoded, dict):
        raise MalformedMessageError(f"{where}: expected a JSON object, got {type(decoded).__name__}")
    return decoded


def column_value(value: Any) -> Any:
    """Nested JSON goes to the table as JSON text: drivers cannot bind dicts or lists."""
    return json.dumps(value) if isinstance(value, dict | list) else value


class KafkaToSqlOperator(BaseOperator):
    """Load up to `max_messages` JSON messages from `topic` into `target_table`.

    :param kafka_conn_id: connection of type `kafka`; its extra is the confluent-kafka config
        (`bootstrap.servers`, optionally `group.id`, security settings). Auto commit is always off.
    :param topic: topic to read, all of its partitions, from the group's committed offsets (or the
        earliest message when none are committed, unless the extra sets `auto.offset.reset`).
    :param target_conn_id: connection of the target table (any DB-API hook).
    :param target_table: table to write, optionally schema-qualified; it must exist.
    :param key: columns identifying a row: rows are upserted (PostgreSQL and SQLite targets), which
        makes a re-read after a crash harmless. Without a key rows are inserted.
    :param max_messages: most messages read per attempt; the batch also ends at the end of every
        partition, or after `poll_timeout` seconds without a message.
    :param poll_timeout: seconds to wait for a message before ending the batch.
    :param group_id: consumer group whose offsets are read and committed; defaults to the
        connection's `group.id`.
    :param dead_letter_table: when set, messages that are not JSON objects go to this table
        (columns topic, partition, offset, payload, error), in the same transaction as the rows,
        instead of failing the task.
    :param columns: target columns taken from each message (a missing key is NULL, other keys are
        ignored); defaults to the keys of the first message of the batch.
    """

    template_fields: Sequence[str] = ("topic", "target_table")
    ui_color = "#fdf0e8"

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
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        for name, value in (("key", key), ("columns", columns)):
            if isinstance(value, str):
                raise ValueError(f"{self.task_id}: {name!r} must be a list of column names, not a string")
        if len(set(key)) != len(key):
            raise ValueError(f"{self.task_id}: 'key' lists a column twice")
        if columns is not None:
            if not columns:
                raise ValueError(f"{self.task_id}: 'columns' is empty; omit it to use the message keys")
            if len(set(columns)) != len(columns):
                raise ValueError(f"{self.task_id}: 'columns' lists a column twice")
            missing = [k for k in key if k not in columns]
            if missing:
                raise ValueError(f"{self.task_id}: 'key' column(s) {', '.join(missing)} not in 'columns'")
        if max_messages < 1:
            raise ValueError(f"{self.task_id}: 'max_messages' must be at least 1, got {max_messages}")
        if poll_timeout <= 0:
            raise ValueError(f"{self.task_id}: 'poll_timeout' must be positive, got {poll_timeout}")
        if group_id is not None and not group_id.strip():
            raise ValueError(f"{self.task_id}: 'group_id' is empty")
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

    def _consumer(self) -> Consumer:
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
        return consumer

    def _assign(self, consumer: Consumer) -> list[int]:
        """Assign every partition of the topic at the group's committed offset; the partition ids."""
        from confluent_kafka import TopicPartition

        timeout = max(self.poll_timeout, 10.0)
        metadata = consumer.list_topics(self.topic, timeout=timeout).topics.get(self.topic)
        if metadata is None or metadata.error is not None or not metadata.partitions:
            reason = metadata.error if metadata is not None and metadata.error else "no partitions"
            raise ValueError(f"{self.task_id}: 'topic' {self.topic!r} cannot be read: {reason}")
        partitions = sorted(metadata.partitions)
        wanted = [TopicPartition(self.topic, p) for p in partitions]
        consumer.assign(consumer.committed(wanted, timeout=timeout))
        return partitions

    def _read(self, consumer: Consumer) -> Batch:
        from confluent_kafka import KafkaError, KafkaException

        batch = Batch()
        pending = set(self._assign(consumer))  # partitions whose end is not reached yet
        while pending and batch.size < self.max_messages:
            message = consumer.poll(self.poll_timeout)
            if message is None:
                self.log.info("No message for %ss; ending the batch", self.poll_timeout)
                break
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    pending.discard(message.partition())
                    continue
                raise KafkaException(error)
            partition, offset = message.partition(), message.offset()
            assert partition is not None and offset is not None  # set on every non-error message
            try:
                batch.records.append(decode(message))
            except MalformedMessageError as malformed:
                if self.dead_letter_table is None:
                    raise ValueError(f"{self.task_id}: {malformed}; nothing was loaded") from None
                payload = message.value()
                text = payload.decode("utf-8", "replace") if payload is not None else None
                batch.rejected.append((self.topic, partition, offset, text, str(malformed)))
            batch.next_offsets[partition] = offset + 1
        return batch

    def _write(self, target: DbApiHook, batch: Batch) -> int:
        """Write rows and rejects in one transaction, committed here; the number of rows."""
        columns = self.columns or (list(batch.records[0]) if batch.records else [])
        missing = [k for k in self.key if k not in columns]
        if missing:
            raise ValueError(
                f"{self.task_id}: 'key' column(s) {', '.join(missing)} are not among the message keys "
                f"{', '.join(columns)}; set 'columns'"
            )
        conn = target.get_conn()
        try:
            cursor = conn.cursor()
            if batch.records:
                args = (self.target_table, columns)
                statement = (
                    upsert_statement(*args, self.key, target.placeholder, target.escape_word_format)
                    if self.key
                    else insert_statement(*args, target.placeholder, target.escape_word_format)
                )
                rows = [tuple(column_value(r.get(c)) for c in columns) for r in batch.records]
                cursor.executemany(statement, rows)
            if batch.rejected:
                dead_letters = insert_statement(
                    str(self.dead_letter_table),
                    DEAD_LETTER_COLUMNS,
                    target.placeholder,
                    target.escape_word_format,
                )
                cursor.executemany(dead_letters, batch.rejected)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.close()
        return len(batch.records)

    def execute(self, context: Context) -> dict[str, Any]:
        from confluent_kafka import TopicPartition

        target = db_hook(self.target_conn_id, "target_conn_id")
        if self.key:
            require_upsert(target, f"{self.task_id}: target_conn_id {self.target_conn_id!r}")
        consumer = self._consumer()
        try:
            batch = self._read(consumer)
            rows = self._write(target, batch) if batch.size else 0
            if batch.next_offsets:  # only now: the load is committed
                offsets = [TopicPartition(self.topic, p, o) for p, o in sorted(batch.next_offsets.items())]
                consumer.commit(offsets=offsets, asynchronous=False)
        finally:
            consumer.close()
        self.log.info(
            "Loaded %d rows from %s into %s (%d to the dead-letter table)",
            rows,
            self.topic,
            self.target_table,
            len(batch.rejected),
        )
        return {
            "rows": rows,
            "dead_letters": len(batch.rejected),
            "offsets": {str(p): o for p, o in sorted(batch.next_offsets.items())},
            "target_table": self.target_table,
        }
