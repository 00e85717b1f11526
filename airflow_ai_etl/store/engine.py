"""Where the store lives: `[ai_etl] store_url`, else the Airflow metadata database.

One engine per URL and process, with the store migrated to this package's schema the first time
(store/migrate.py); a store migrated by a newer version is refused there. The store
has its own engine rather than Airflow's session: a separately configured store_url must not
depend on Airflow's ORM settings. Workers never use it (Airflow 3 keeps task processes away from
the metadata database): a generation run publishes XComs, which the api-server stores.
"""

from __future__ import annotations

import functools
import threading

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from airflow_ai_etl.store.migrate import upgrade

_lock = threading.Lock()


#: What Airflow's task supervisor puts into `[database] sql_alchemy_conn` inside a task process.
_BLOCKED_URL_PREFIX = "airflow-db-not-allowed"


class StoreNotConfigured(RuntimeError):
    """This process has no store location (e.g. a task whose metadata DB settings Airflow hides)."""


def configured_url() -> str:
    """`[ai_etl] store_url`, or Airflow's `[database] sql_alchemy_conn` when it is empty."""
    from airflow.configuration import conf

    url = (conf.get("ai_etl", "store_url", fallback="") or "").strip()
    url = url or conf.get("database", "sql_alchemy_conn", fallback="") or ""
    if not url or url.startswith(_BLOCKED_URL_PREFIX):
        raise StoreNotConfigured(
            "[ai_etl] store_url: this process cannot see the metadata database's URL (Airflow 3 "
            "hides it from task processes; the api-server keeps the store); set "
            "store_url, e.g. AIRFLOW__AI_ETL__STORE_URL, to use the store here"
        )
    return url


def make_engine(url: str) -> Engine:
    """An engine for `url` with settings that suit many short transactions from several processes."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, pool_recycle=1800)


@functools.cache
def _engine_for(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine)
    return engine


def engine_for(url: str) -> Engine:
    with _lock:
        return _engine_for(url)
