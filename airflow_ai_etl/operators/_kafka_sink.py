"""The target side of a Kafka load: rows, dead letters and consumer offsets in ONE transaction.

Offsets are stored in a table of the target, in the same transaction as the rows they cover.
That is what makes a load exactly-once without a key: whatever moment a worker dies at, the
table holds either the rows *and* the offsets after them, or neither; the next attempt starts
from the stored offsets, not from Kafka's committed ones (which are committed afterwards, for
lag monitoring, and may lag behind after a crash).

Three ways to write rows. On PostgreSQL through psycopg 3, a chunk of JSON messages goes to the
server as one JSON array and becomes rows there (`json_populate_recordset`: the decoding runs in
the server's process, beside the worker's); decoded records (Avro, or a JSON chunk the server
refused, decoded again to name the bad message) go through COPY. With a key both keep only the
last message of each key (staging table or DISTINCT ON) before INSERT ... ON CONFLICT. Any other
DB-API connection uses `executemany` with the hook's placeholder.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_ai_etl.operators._kafka_codec import column_value
from airflow_ai_etl.operators._sql import (
    UPSERT_DIALECTS,
    column_list,
    conflict_clause,
    insert_statement,
    quote_identifier,
    quote_table,
    upsert_statement,
)

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

#: Columns of a dead-letter table, in this order.
DEAD_LETTER_COLUMNS = ("topic", "partition", "offset", "payload", "error")
#: Columns of the offsets table, in this order; the first three are its primary key.
OFFSET_COLUMNS = ("consumer_group", "topic", "partition", "next_offset")
DEFAULT_OFFSETS_TABLE = "ai_etl_kafka_offsets"
_STAGE = "ai_etl_kafka_stage"
_SEQ = "ai_etl_seq"

DeadLetter = tuple[str, int, int, str | None, str]


def rows_of(records: list[dict[str, Any]], columns: Sequence[str]) -> Iterable[Sequence[Any]]:
    """The records as value sequences in column order; a missing field is None.

    itemgetter is the fast way while every record has every column; a chunk where one does not
    takes `dict.get` record by record.
    """
    from operator import itemgetter

    if len(columns) == 1:
        return [(r.get(columns[0]),) for r in records]
    try:
        return list(map(itemgetter(*columns), records))
    except KeyError:
        return [tuple(map(r.get, columns)) for r in records]


def offsets_table_ddl(table: str, escape: str) -> str:
    q = [quote_identifier(c, escape) for c in OFFSET_COLUMNS]
    return (
        f"CREATE TABLE IF NOT EXISTS {quote_table(table, escape)} ("
        f"{q[0]} VARCHAR(255) NOT NULL, {q[1]} VARCHAR(255) NOT NULL, {q[2]} INTEGER NOT NULL, "
        f"{q[3]} BIGINT NOT NULL, PRIMARY KEY ({q[0]}, {q[1]}, {q[2]}))"
    )


class TargetSink:
    """One attempt's open target transaction; `commit` ends it, `close` rolls back whatever is left."""

    def __init__(
        self,
        hook: DbApiHook,
        *,
        table: str,
        key: Sequence[str],
        offsets_table: str | None,
        dead_letter_table: str | None,
    ) -> None:
        self.hook = hook
        self.table = table
        self.key = list(key)
        self.offsets_table = offsets_table
        self.dead_letter_table = dead_letter_table
        self.escape = hook.escape_word_format
        self.columns: list[str] | None = None
        self.rows = 0
        self._staged = False
        self._json_dumpers = False
        self.conn = hook.get_conn()
        self.cursor = self.conn.cursor()
        # psycopg 3 connections have Cursor.copy; psycopg2 and other drivers take the generic path.
        self.copy = hook.dialect_name in ("postgresql", "postgres") and hasattr(self.cursor, "copy")

    # -- offsets ---------------------------------------------------------------------------------

    def stored_offsets(self, group: str, topic: str) -> dict[int, int]:
        """partition -> next offset, as the last committed load stored them (creating the table)."""
        if self.offsets_table is None:
            return {}
        self.cursor.execute(offsets_table_ddl(self.offsets_table, self.escape))
        self.conn.commit()  # the DDL on its own: the load's transaction starts clean
        q = [quote_identifier(c, self.escape) for c in OFFSET_COLUMNS]
        p = self.hook.placeholder
        self.cursor.execute(
            f"SELECT {q[2]}, {q[3]} FROM {quote_table(self.offsets_table, self.escape)} "
            f"WHERE {q[0]} = {p} AND {q[1]} = {p}",
            (group, topic),
        )
        stored = {int(partition): int(offset) for partition, offset in self.cursor.fetchall()}
        self.conn.commit()
        return stored

    def _store_offsets(self, group: str, topic: str, offsets: Mapping[int, int]) -> None:
        if self.offsets_table is None or not offsets:
            return
        rows = [(group, topic, partition, offset) for partition, offset in sorted(offsets.items())]
        p = self.hook.placeholder
        if self.hook.dialect_name in UPSERT_DIALECTS:
            statement = upsert_statement(
                self.offsets_table, OFFSET_COLUMNS, OFFSET_COLUMNS[:3], p, self.escape
            )
        else:
            q = [quote_identifier(c, self.escape) for c in OFFSET_COLUMNS]
            self.cursor.executemany(
                f"DELETE FROM {quote_table(self.offsets_table, self.escape)} "
                f"WHERE {q[0]} = {p} AND {q[1]} = {p} AND {q[2]} = {p}",
                [row[:3] for row in rows],
            )
            statement = insert_statement(self.offsets_table, OFFSET_COLUMNS, p, self.escape)
        self.cursor.executemany(statement, rows)

    # -- rows ------------------------------------------------------------------------------------

    def write(self, records: list[dict[str, Any]]) -> None:
        """Write records as rows of `self.columns` (set before the first call) into the transaction.

        A field a record lacks is NULL; objects and arrays become JSON text.
        """
        if not records:
            return
        assert self.columns is not None
        if self.copy:
            self._copy(rows_of(records, self.columns))
        else:
            args = (self.table, self.columns)
            p = self.hook.placeholder
            statement = (
                upsert_statement(*args, self.key, p, self.escape)
                if self.key
                else insert_statement(*args, p, self.escape)
            )
            columns = self.columns
            self.cursor.executemany(
                statement, [tuple([column_value(r.get(c)) for c in columns]) for r in records]
            )
        self.rows += len(records)

    def _copy(self, rows: Iterable[Sequence[Any]]) -> None:
        assert self.columns is not None
        if not self._json_dumpers:
            # dicts and lists are written as JSON text (jsonb, json or text columns take it).
            from psycopg.types.json import JsonDumper

            self.cursor.adapters.register_dumper(dict, JsonDumper)
            self.cursor.adapters.register_dumper(list, JsonDumper)
            self._json_dumpers = True
        columns = column_list(self.columns, self.escape)
        target = quote_table(self.table, self.escape)
        if self.key and not self._staged:
            # Same columns and types as the target, plus the arrival order: the last message wins.
            self.cursor.execute(
                f"CREATE TEMPORARY TABLE {_STAGE} ON COMMIT DROP AS "
                f"SELECT {columns} FROM {target} WITH NO DATA"
            )
            self.cursor.execute(f"ALTER TABLE {_STAGE} ADD COLUMN {_SEQ} BIGINT GENERATED ALWAYS AS IDENTITY")
            self._staged = True
        into = _STAGE if self.key else target
        with self.cursor.copy(f"COPY {into} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def _merge_stage(self) -> None:
        assert self.columns is not None
        key = column_list(self.key, self.escape)
        columns = column_list(self.columns, self.escape)
        self.cursor.execute(
            f"INSERT INTO {quote_table(self.table, self.escape)} ({columns}) "
            f"SELECT DISTINCT ON ({key}) {columns} FROM {_STAGE} ORDER BY {key}, {_SEQ} DESC "
            + conflict_clause(self.columns, self.key, self.escape)
        )

    def write_json(self, values: list[bytes]) -> bool:
        """PostgreSQL parses a chunk of JSON values itself; False (nothing written) if it refuses one.

        The chunk goes to the server as one JSON array, turned into rows of the target there by
        `json_populate_recordset`, in the server's own process: the worker only joins bytes.
        It runs under a savepoint, so a chunk PostgreSQL refuses (a value that is not JSON or not
        an object, a field that does not fit its column) leaves the transaction as it was, and
        the caller decodes it message by message to name the one at fault.
        """
        assert self.columns is not None and self.copy
        try:
            document = (b"[" + b",".join(values) + b"]").decode("utf-8")
        except UnicodeDecodeError:
            return False
        target = quote_table(self.table, self.escape)
        columns = column_list(self.columns, self.escape)
        records = f"json_populate_recordset(NULL::{target}, %s::json)"
        if self.key:
            key = column_list(self.key, self.escape)
            numbered = f"SELECT {columns}, row_number() OVER () AS {_SEQ} FROM {records}"
            insert = (
                f"INSERT INTO {target} ({columns}) SELECT DISTINCT ON ({key}) {columns} "
                f"FROM ({numbered}) AS chunk ORDER BY {key}, {_SEQ} DESC "
                + conflict_clause(self.columns, self.key, self.escape)
            )
        else:
            insert = f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {records}"
        import psycopg

        self.cursor.execute("SAVEPOINT ai_etl_chunk")
        try:
            self.cursor.execute(insert, (document,))
        except psycopg.DatabaseError:
            self.cursor.execute("ROLLBACK TO SAVEPOINT ai_etl_chunk")
            return False
        self.cursor.execute("RELEASE SAVEPOINT ai_etl_chunk")
        self.rows += len(values)
        return True

    # -- the end ---------------------------------------------------------------------------------

    def commit(self, rejected: list[DeadLetter], group: str, topic: str, offsets: Mapping[int, int]) -> None:
        """Dead letters and offsets join the rows; then the one commit of the attempt."""
        if self._staged:
            self._merge_stage()
        if rejected:
            assert self.dead_letter_table is not None
            statement = insert_statement(
                self.dead_letter_table, DEAD_LETTER_COLUMNS, self.hook.placeholder, self.escape
            )
            self.cursor.executemany(statement, rejected)
        self._store_offsets(group, topic, offsets)
        self.conn.commit()

    def close(self) -> None:
        try:
            self.conn.rollback()  # a no-op after commit; undoes a failed attempt's writes
        finally:
            self.conn.close()
