"""A redis-py client from an Airflow connection of type `redis` (shared by the LLM cache and the budgets).

The Redis provider is not a dependency: its hook only reads host, port, password and the `db`
extra, which we read the same way. Short socket time-outs keep a dead Redis from stalling a
generation: callers treat a Redis error as "skip this" (the cache) or report it (the budgets).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis

DEFAULT_PORT = 6379
SOCKET_TIMEOUT_S = 0.5


def redis_client(conn_id: str) -> redis.Redis:
    """A client for the Redis that connection `conn_id` describes (no round trip is made here).

    Raises UnknownConnectionError when the connection does not exist, ValueError when it is not a
    Redis connection. The connection is looked up as the rest of the package looks connections up.
    """
    import redis

    from airflow_ai_etl.catalog.connections import airflow_connection

    conn = airflow_connection(conn_id)
    if conn.conn_type not in ("redis", "rediss"):
        raise ValueError(f"connection '{conn_id}' has type {conn.conn_type!r}, not 'redis'")
    extra = conn.extra_dejson
    db = extra.get("db", conn.schema if conn.schema and str(conn.schema).isdigit() else 0)
    return redis.Redis(
        host=conn.host or "127.0.0.1",
        port=int(conn.port or DEFAULT_PORT),
        username=conn.login or None,
        password=conn.password or None,
        db=int(db),
        ssl=bool(extra.get("ssl", False)) or conn.conn_type == "rediss",
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=SOCKET_TIMEOUT_S,
    )
