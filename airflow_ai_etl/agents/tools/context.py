"""What the agents' tools may reach: the catalogs and connections of one request, and the limits.

A tool touches only the connections named here, so a model cannot wander into other databases by
guessing connection ids.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_ai_etl.catalog.connections import (
    ConnectionInfo,
    UnknownConnectionError,
    airflow_connection,
    describe_connection,
)
from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.validation.context import ValidationContext

#: Returns an object with DB-API `get_conn()` (a common-sql DbApiHook) for a connection id.
HookGetter = Callable[[str], Any]


class ToolError(Exception):
    """A request a tool declines or cannot serve; its message is returned to the model as text."""


def airflow_hook(conn_id: str) -> Any:
    """The hook Airflow gives for the connection (its provider's DbApiHook subclass)."""
    return airflow_connection(conn_id).get_hook()  # type: ignore[no-untyped-call]


@dataclass
class ToolContext:
    """Catalogs and connections by conn id, a way to get a hook, and the limits every query runs under."""

    catalogs: Mapping[str, SchemaCatalog] = field(default_factory=dict)
    connections: Mapping[str, ConnectionInfo] = field(default_factory=dict)
    get_hook: HookGetter = airflow_hook
    timeout_s: float = 10.0
    max_rows: int = 100
    #: column_profile looks at no more than this many rows of a table.
    profile_rows: int = 100_000

    def conn_ids(self) -> list[str]:
        return sorted({*self.catalogs, *self.connections})

    def require_conn(self, conn_id: str) -> None:
        if conn_id not in self.catalogs and conn_id not in self.connections:
            raise ToolError(f"connection {conn_id!r} is not one of this request's: {self.conn_ids()}")

    def connection(self, conn_id: str) -> ConnectionInfo:
        """Id, type and dialect (never credentials); looked up in Airflow when not given."""
        self.require_conn(conn_id)
        if conn_id in self.connections:
            return self.connections[conn_id]
        return describe_connection(conn_id)

    def catalog(self, conn_id: str) -> SchemaCatalog:
        self.require_conn(conn_id)
        if conn_id not in self.catalogs:
            raise ToolError(f"the schema of connection {conn_id!r} is not known")
        return self.catalogs[conn_id]

    def dialect(self, conn_id: str) -> str:
        if conn_id in self.catalogs:
            return self.catalogs[conn_id].dialect
        return self.connection(conn_id).dialect

    def validation_context(self) -> ValidationContext:
        """The spine's view of the same connections (one not defined in Airflow is left out), for
        specs that generation writes."""
        connections: dict[str, ConnectionInfo] = {}
        for conn_id in self.conn_ids():
            try:
                connections[conn_id] = self.connection(conn_id)
            except UnknownConnectionError:
                continue
        return ValidationContext(connections=connections, catalogs=dict(self.catalogs), author="generation")
