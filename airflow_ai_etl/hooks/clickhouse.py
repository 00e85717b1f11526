"""ClickHouse through clickhouse-connect: a server over HTTP(S), or chDB's engine in-process.

The connection's extra picks the engine: `{"interface": "chdb", "path": "/data/dir"}` opens chDB
on that directory (in memory without a path); otherwise host/port/login/password/schema reach a
server over HTTP, or HTTPS with `{"secure": true}` or `{"interface": "https"}`. clickhouse-connect
is imported inside the methods so that importing this module (DAG parsing, provider discovery)
stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any

from airflow.providers.common.sql.hooks.sql import DbApiHook

if TYPE_CHECKING:
    from clickhouse_connect.dbapi.connection import Connection as DbApiConnection
    from clickhouse_connect.driver.client import Client

_INTERFACES = ("http", "https", "chdb")


class ClickHouseHook(DbApiHook):
    """DB-API access (SQLExecuteQueryOperator, the common-sql checks) plus the native client.

    :param settings: ClickHouse settings for every query of this hook, e.g. `{"readonly": "2"}`
        through an operator's `hook_params`.
    """

    conn_name_attr = "clickhouse_conn_id"
    default_conn_name = "clickhouse_default"
    conn_type = "clickhouse"
    hook_name = "ClickHouse"
    supports_autocommit = False  # ClickHouse has no transactions: every statement stands alone
    supports_executemany = True

    def __init__(self, *args: Any, settings: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings = dict(settings or {})

    @staticmethod
    def apply_settings(client: Client, settings: Mapping[str, str]) -> None:
        """Set `settings` on an open client (clickhouse-connect takes them for every later query)."""
        for name, value in settings.items():
            client.set_client_setting(name, value)

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {
            "relabeling": {"schema": "Database"},
            "placeholders": {
                "extra": '{"secure": true}  or  {"interface": "chdb", "path": "/data/chdb"}',
                "port": "8123 (http) / 8443 (https)",
            },
        }

    def _client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments shared by clickhouse_connect.get_client and its DB-API Connection."""
        conn = self.connection
        extra = self.connection_extra_lower
        interface = str(extra.get("interface") or "").lower()
        if interface and interface not in _INTERFACES:
            raise ValueError(
                f"connection '{self.get_conn_id()}': extra 'interface' is {interface!r}; "
                f"expected one of {', '.join(_INTERFACES)}"
            )
        database = conn.schema or None
        if interface == "chdb":
            # chDB has no host, port or users: other fields would only draw a warning.
            return {"interface": "chdb", "path": extra.get("path") or None, "database": database}
        secure = interface == "https" or str(extra.get("secure", "")).lower() in ("true", "1", "yes")
        return {
            "host": conn.host or "localhost",
            "port": conn.port or None,
            "username": conn.login or "default",
            "password": conn.password or "",
            "database": database,
            "interface": "https" if secure else "http",
            "secure": secure,
        }

    def get_client(self) -> Client:
        """The clickhouse-connect client (Arrow/pandas queries, typed bulk inserts); close it after use."""
        import clickhouse_connect

        client = clickhouse_connect.get_client(**self._client_kwargs())
        self.apply_settings(client, self.settings)
        return client

    def get_conn(self) -> DbApiConnection:
        """A PEP 249 connection; commit and rollback are no-ops, close releases the client."""
        from clickhouse_connect.dbapi.connection import Connection

        conn = Connection(**self._client_kwargs())
        self.apply_settings(conn.client, self.settings)
        return conn

    def get_openlineage_database_info(self, connection: Any) -> Any:
        """OpenLineage's names for this server (`clickhouse://host:port`, tables `database.table`).

        chDB, in process, has no authority: its namespace is `clickhouse` with the data path.
        """
        from airflow.providers.openlineage.sqlparser import DatabaseInfo

        kwargs = self._client_kwargs()
        if kwargs["interface"] == "chdb":
            return DatabaseInfo(scheme="clickhouse", authority=None, database=kwargs["database"] or "default")
        port = kwargs["port"] or (8443 if kwargs["secure"] else 8123)
        return DatabaseInfo(
            scheme="clickhouse",
            authority=f"{kwargs['host']}:{port}",
            database=kwargs["database"] or "default",
        )

    def get_uri(self) -> str:
        """`clickhouse://` for a server, `chdb://<path>` for the in-process engine; never a password."""
        kwargs = self._client_kwargs()
        database = kwargs["database"] or ""
        if kwargs["interface"] == "chdb":
            query = f"?database={database}" if database else ""
            return f"chdb://{kwargs['path'] or 'memory'}{query}"
        scheme = "clickhouse+https" if kwargs["secure"] else "clickhouse"
        port = f":{kwargs['port']}" if kwargs["port"] else ""
        return f"{scheme}://{kwargs['username']}@{kwargs['host']}{port}/{database}"

    def insert_rows(
        self,
        table: str,
        rows: Iterable[Sequence[Any]],
        target_fields: Sequence[str] | None = None,
        commit_every: int = 1000,
        replace: bool = False,
        **kwargs: Any,
    ) -> None:
        """Typed native inserts of `commit_every` rows each (all at once when 0); no SQL text is built.

        `table` may be qualified (`db.table`). Without `target_fields` the rows fill every column in
        table order. ClickHouse has no REPLACE INTO, so `replace=True` is refused.
        """
        if replace:
            raise ValueError("ClickHouse has no REPLACE: use a ReplacingMergeTree table or delete rows first")
        database, _, name = table.rpartition(".")
        column_names: str | Sequence[str] = list(target_fields) if target_fields else "*"
        iterator = iter(rows)
        total = 0
        client = self.get_client()
        try:
            while chunk := [list(row) for row in islice(iterator, commit_every or None)]:
                client.insert(name, chunk, column_names=column_names, database=database or None)
                total += len(chunk)
                self.log.info("Loaded %s rows into %s so far", total, table)
        finally:
            client.close()
        self.log.info("Done loading. Loaded a total of %s rows into %s", total, table)
