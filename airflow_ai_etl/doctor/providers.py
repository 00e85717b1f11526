"""Which connection types this installation can use, and the `airflow-ai-etl` extra that adds one.

A connection whose provider is missing fails late and obscurely ("Unknown hook type postgres"
after the agents ran). The extras are the package's own install story, so the fix names the
extra (which brings the provider and the drivers the fast paths use) rather than a bare provider.
Whether an extra is complete is read from the installed distribution's own metadata.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import metadata

from packaging.requirements import Requirement

DISTRIBUTION = "airflow-ai-etl"

#: Connection types whose hook (or driver) an extra of this package installs.
EXTRA_FOR_CONN_TYPE = {
    "postgres": "postgres",
    "sqlite": "sqlite",
    "clickhouse": "clickhouse",
    "kafka": "kafka",
    "spark": "spark",
    "spark_sql": "spark",
    "spark_connect": "spark",
    "spark_jdbc": "spark",
    "aws": "amazon",
    # The LLM cache and budgets read `redis` connections themselves (hooks/redis.py), with redis-py.
    "redis": "memory",
    "rediss": "memory",
}

#: Connection types that need only part of their extra: the rest serves other features.
NEEDED_FOR_CONN_TYPE = {"redis": ("redis",), "rediss": ("redis",)}


@dataclass(frozen=True)
class MissingProvider:
    conn_type: str
    extra: str | None
    missing: tuple[str, ...]

    @property
    def fix(self) -> str:
        if self.extra is None:
            return (
                f"install the Airflow provider package that defines connection type {self.conn_type!r}, "
                "then restart Airflow's components"
            )
        return (
            f"pip install '{DISTRIBUTION}[{self.extra}]' where Airflow runs (api-server, workers, "
            "dag-processor), then restart them"
        )

    @property
    def message(self) -> str:
        what = ", ".join(self.missing) if self.missing else "no installed provider defines it"
        return f"connection type {self.conn_type!r} cannot be used here: {what}"


def missing_provider(conn_type: str) -> MissingProvider | None:
    """What this installation lacks to use `conn_type`, or None when nothing is missing."""
    key = conn_type.strip().lower()
    extra = EXTRA_FOR_CONN_TYPE.get(key)
    if extra is not None:
        needed = NEEDED_FOR_CONN_TYPE.get(key) or extra_requirements(extra)
        missing = tuple(name for name in needed if not _installed(name))
        return MissingProvider(key, extra, missing) if missing else None
    if not key or key in _known_conn_types():
        return None
    return MissingProvider(key, None, ())


def extra_requirements(extra: str) -> tuple[str, ...]:
    """The distributions `airflow-ai-etl[extra]` installs, from the installed package's metadata."""
    names = []
    for text in metadata.requires(DISTRIBUTION) or []:
        requirement = Requirement(text)
        if requirement.marker is not None and requirement.marker.evaluate({"extra": extra}):
            names.append(requirement.name)
    return tuple(names)


def _installed(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


@functools.cache
def _known_conn_types() -> frozenset[str]:
    """Connection types the installed providers define (Airflow's own registry, read once)."""
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()  # type: ignore[no-untyped-call]
    return frozenset(m.connection_type for m in manager.iter_connection_type_hook_ui_metadata())
