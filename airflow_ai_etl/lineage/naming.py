"""OpenLineage namespaces and dataset names for the systems our steps touch.

The names follow OpenLineage's naming spec and the providers' own choices, so that our events and
the providers' (SQLExecuteQueryOperator's, say) meet on the same datasets in a lineage tool:

- SQL databases: the hook's `get_openlineage_database_info` where it has one (PostgreSQL:
  `postgres://host:port`, name `database.schema.table`; our ClickHouse hook: `clickhouse://host:port`,
  name `database.table`); SQLite, which has none: `sqlite://<path of the database file>`, name the table;
- Kafka: `kafka://<first bootstrap server>`, name the topic;
- files: `file`, name the absolute path; S3: `s3://bucket`, name the key (a prefix or glob as written);
- Spark tables: `hive://host:port` of the metastore when one is configured, else the warehouse
  directory (`file`, `<warehouse>/<db>.db/<table>`), else `spark_catalog`, name `database.table`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow_ai_etl.lineage.model import Dataset

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

#: The schema an unqualified table name resolves to, per OpenLineage scheme.
_DEFAULT_SCHEMA = {"postgres": "public", "redshift": "public"}


@dataclass(frozen=True)
class SqlNaming:
    """How one SQL connection's tables are named: namespace, database, default schema."""

    namespace: str
    database: str | None = None
    default_schema: str | None = None
    #: Names of the form database.table (ClickHouse): no schema level.
    two_part: bool = False

    def dataset(self, table: str, fields: tuple[tuple[str, str | None], ...] = ()) -> Dataset:
        parts = [p.strip('"`') for p in table.split(".")]
        if self.two_part:
            name = ".".join(parts[-2:]) if len(parts) > 1 else f"{self.database or 'default'}.{parts[-1]}"
        elif self.database is None:
            name = ".".join(parts)
        else:
            schema = parts[-2] if len(parts) > 1 else self.default_schema
            database = parts[-3] if len(parts) > 2 else self.database
            name = ".".join(p for p in (database, schema, parts[-1]) if p)
        return Dataset(self.namespace, name, fields)


def sql_naming(hook: DbApiHook) -> SqlNaming:
    """The naming of a DB-API hook's connection, from the hook's own OpenLineage information."""
    conn_id = str(getattr(hook, hook.conn_name_attr, "") or "")
    connection = hook.get_connection(conn_id)
    if hook.dialect_name == "sqlite":
        path = str(connection.host or "").removeprefix("sqlite:///") or "memory"
        return SqlNaming(namespace=f"sqlite://{path}")
    info = None
    get_info = getattr(hook, "get_openlineage_database_info", None)
    if callable(get_info):
        try:
            info = get_info(connection)
        except ImportError:  # the openlineage provider is missing: the hook cannot build its info
            info = None
    if info is None:
        authority = f"{connection.host or 'localhost'}{f':{connection.port}' if connection.port else ''}"
        return SqlNaming(
            namespace=f"{connection.conn_type}://{authority}", database=connection.schema or None
        )
    scheme = str(info.scheme)
    namespace = f"{scheme}://{info.authority}" if info.authority else scheme
    return SqlNaming(
        namespace=namespace,
        database=info.database,
        default_schema=_DEFAULT_SCHEMA.get(scheme),
        two_part=scheme == "clickhouse",
    )


def kafka_namespace(config: Mapping[str, Any]) -> str:
    """`kafka://host:port` of the first bootstrap server of a confluent-kafka config."""
    servers = str(config.get("bootstrap.servers") or config.get("bootstrap_servers") or "localhost:9092")
    first = servers.split(",", maxsplit=1)[0].strip()
    return f"kafka://{first.split('://', 1)[-1]}"


def file_dataset(path: str, fields: tuple[tuple[str, str | None], ...] = ()) -> Dataset:
    """A local path or an s3:// URL (a file, a prefix or a glob) as a dataset."""
    if path.startswith("s3://"):
        parts = urlsplit(path)
        return Dataset(f"s3://{parts.netloc}", parts.path.lstrip("/"), fields)
    return Dataset("file", path, fields)


def spark_dataset(table: str, conf: Mapping[str, Any]) -> Dataset:
    """A table of Spark's catalog, named by the metastore or the warehouse directory it lives in."""
    parts = table.strip("`").split(".")
    database, name = (parts[-2], parts[-1]) if len(parts) > 1 else ("default", parts[-1])
    uris = str(conf.get("spark.hadoop.hive.metastore.uris") or conf.get("hive.metastore.uris") or "")
    if uris:
        authority = urlsplit(uris.split(",", maxsplit=1)[0].strip()).netloc
        return Dataset(f"hive://{authority}", f"{database}.{name}")
    warehouse = str(conf.get("spark.sql.warehouse.dir") or "")
    if warehouse:
        location = urlsplit(warehouse)
        scheme = location.scheme or "file"
        folder = location.path.rstrip("/")
        path = f"{folder}/{name}" if database == "default" else f"{folder}/{database}.db/{name}"
        namespace = "file" if scheme == "file" else f"{scheme}://{location.netloc}"
        return Dataset(namespace, path)
    return Dataset("spark_catalog", f"{database}.{name}")
