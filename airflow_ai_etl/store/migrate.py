"""Versioned migrations of the store's tables (Alembic, the way Airflow and its providers do it).

The migrations ship in the package (`store/migrations/versions`) and record the store's revision
in a version table of its own, `ai_etl_alembic_version`. They run on first use of a store (see
`engine.engine_for`) and with `ai-etl db upgrade`. A store made before migrations existed (the
tables, no version table) is stamped at the baseline `0001` and upgraded from there. A store at a
revision this package does not know was migrated by a newer version: it is refused, naming both.
Downgrades are refused by every migration: restore the backup taken before the upgrade instead.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, exc, inspect, text

if TYPE_CHECKING:  # alembic is imported where a store is opened, not by every importer of the store
    from alembic.config import Config
    from alembic.script import ScriptDirectory

VERSION_TABLE = "ai_etl_alembic_version"
#: The revision whose schema a store made before migrations existed already has.
BASELINE = "0001"
_MIGRATIONS = Path(__file__).with_name("migrations")
#: Any constant: PostgreSQL serialises concurrent upgrades on this advisory lock.
_PG_LOCK_KEY = 0x41455443
#: Alembic's `context` is one per process: its commands must not run in two threads at once.
_alembic = threading.Lock()


class StoreSchemaError(RuntimeError):
    """The store's schema cannot be used or changed by this version of the package."""


@dataclass(frozen=True)
class Upgrade:
    before: str | None  # None: an empty database
    after: str


def package_version() -> str:
    try:
        return version("airflow-ai-etl")
    except PackageNotFoundError:  # run from a source tree
        return "unknown"


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def head() -> str:
    """The newest revision this package ships."""
    revision = _script().get_current_head()
    assert revision is not None  # the package ships at least the baseline
    return revision


def current(connection: Connection) -> str | None:
    """The store's revision; None when it has no version table (empty, or made before migrations)."""
    from alembic.migration import MigrationContext

    return MigrationContext.configure(
        connection, opts={"version_table": VERSION_TABLE}
    ).get_current_revision()


def _known(revision: str) -> bool:
    from alembic.util.exc import CommandError

    try:
        return _script().get_revision(revision) is not None
    except CommandError:
        return False


def _refuse_newer(revision: str) -> None:
    raise StoreSchemaError(
        f"the store's schema is at revision {revision}, which airflow-ai-etl {package_version()} "
        f"(schema revision {head()}) does not know: a newer airflow-ai-etl migrated it. Install that "
        "version (or newer) here, or set [ai_etl] store_url to another store"
    )


def _lock(connection: Connection) -> None:
    """One upgrade at a time: api-server workers start together (SQLite locks the file itself)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def _upgrade(engine: Engine) -> Upgrade:
    from alembic import command

    with _alembic, engine.begin() as connection:
        _lock(connection)
        before = current(connection)
        config = _config(connection)
        if before is None and inspect(connection).has_table("ai_etl_request"):
            command.stamp(config, BASELINE)
            before = BASELINE
        if before is not None and not _known(before):
            _refuse_newer(before)
        if before != head():
            command.upgrade(config, "head")
    return Upgrade(before=before, after=head())


def upgrade(engine: Engine) -> Upgrade:
    """Bring the store to this package's newest revision; a newer store raises StoreSchemaError.

    Where another process upgraded the same store at the same moment (SQLite has no advisory
    lock), our statements fail on what it created; the store is then at head, and that is fine.
    """
    try:
        return _upgrade(engine)
    except (exc.ProgrammingError, exc.IntegrityError, exc.OperationalError):
        with engine.connect() as connection:
            if current(connection) != head():
                raise
        return Upgrade(before=None, after=head())


def downgrade(engine: Engine, revision: str) -> None:
    """Run the migrations' downgrades to `revision` in one transaction (they refuse: see module doc)."""
    from alembic import command

    with _alembic, engine.begin() as connection:
        _lock(connection)
        command.downgrade(_config(connection), revision)


def refuse_downgrade(revision: str) -> None:
    """What every migration's `downgrade` does: the store keeps data an older schema cannot hold."""
    raise StoreSchemaError(
        f"the store cannot be downgraded below revision {revision}: restore the database backup "
        "taken before `ai-etl db upgrade`, or keep this version of airflow-ai-etl"
    )
