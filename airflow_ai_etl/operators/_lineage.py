"""OpenLineage facets for our operators: `get_openlineage_facets_on_start/complete`.

An operator describes what it read and wrote as a `StepLineage` (lineage/model.py); this module
turns it into the OpenLineage provider's `OperatorLineage`, importing the provider only when its
listener asks, so operators work without it; sqlglot and the catalog readers load only then too
(DAG files import the operators at every parse). At start the description costs no query: datasets
and the SQL's column lineage as written. At completion the tables' columns are read from the
databases (our catalog readers, limited to the schemas involved), so `SELECT *` expands, the
schema facets carry types, and unqualified columns resolve.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

    from airflow_ai_etl.catalog.models import SchemaCatalog
    from airflow_ai_etl.lineage.model import ColumnOrigin, Dataset, StepLineage
    from airflow_ai_etl.lineage.naming import SqlNaming

log = logging.getLogger(__name__)


class LineageMixin:
    """Give an operator OpenLineage facets from its `step_lineage` (complete: after execute)."""

    def step_lineage(self, complete: bool) -> StepLineage:
        raise NotImplementedError

    def get_openlineage_facets_on_start(self) -> Any:
        from airflow_ai_etl.lineage.openlineage import operator_lineage

        return operator_lineage(self.step_lineage(complete=False))

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        from airflow_ai_etl.lineage.openlineage import operator_lineage

        return operator_lineage(self.step_lineage(complete=True))


class SqlSide:
    """One SQL connection as lineage sees it: how its tables are named, and (on completion) their columns."""

    def __init__(self, hook: DbApiHook, conn_id: str, complete: bool) -> None:
        from airflow_ai_etl.catalog.connections import dialect_for_conn_type
        from airflow_ai_etl.lineage.naming import sql_naming

        self.hook = hook
        self.conn_id = conn_id
        self.naming: SqlNaming = sql_naming(hook)
        self.dialect = dialect_for_conn_type(hook.get_connection(conn_id).conn_type or "")
        self.complete = complete
        self._catalog: SchemaCatalog | None = None

    def read_catalog(self, tables: Iterable[str]) -> SchemaCatalog | None:
        """The catalog of the schemas `tables` live in; None (and a log line) when it cannot be read."""
        if not self.complete:
            return None
        if self._catalog is None:
            from airflow_ai_etl.catalog.introspect import introspect_hook

            schemas = sorted({t.split(".")[-2].strip('"`') for t in tables if "." in t})
            default = self.naming.default_schema
            if default and any("." not in t for t in tables):
                schemas.append(default)
            try:
                # Structure only: lineage needs columns and types, never a sample of the data.
                self._catalog = introspect_hook(
                    self.hook, self.conn_id, self.dialect, schemas=schemas or None, value_summaries=False
                )
            except Exception as error:  # lineage is reporting: a schema it cannot read is left out
                log.warning("Lineage without column types for %s: %s", self.conn_id, error)
                return None
        return self._catalog

    def dataset(self, table: str) -> Dataset:
        catalog = self._catalog
        found = catalog.find_table(table) if catalog is not None else None
        fields = tuple((c.name, c.type) for c in found.columns) if found is not None else ()
        return self.naming.dataset(table, fields)

    def query(self, sql: str) -> tuple[list[Dataset], dict[str, list[ColumnOrigin]]]:
        """The tables a query reads (with their columns when complete) and each output column's origins."""
        inputs, _, columns = self.statement(sql)
        return inputs, columns

    def statement(self, sql: str) -> tuple[list[Dataset], Dataset | None, dict[str, list[ColumnOrigin]]]:
        """A query's or an INSERT ... SELECT / CREATE TABLE AS's tables read, table written, and
        the origins of each column it selects (or writes)."""
        from airflow_ai_etl.lineage.columns import statement_lineage
        from airflow_ai_etl.lineage.model import statement_columns

        written = statement_lineage(sql, self.dialect or None)
        catalog = self.read_catalog([*written.reads, *([written.writes] if written.writes else [])])
        if catalog is not None:
            written = statement_lineage(sql, self.dialect or None, catalog.sqlglot_schema())
        output = self.dataset(written.writes) if written.writes else None
        return [self.dataset(t) for t in written.reads], output, statement_columns(written, self.dataset)


def sql_side(conn_id: str, field: str, complete: bool) -> SqlSide:
    from airflow_ai_etl.operators._sql import db_hook

    return SqlSide(db_hook(conn_id, field), conn_id, complete)
