"""The `sql` step's operator: common-sql's SQLExecuteQueryOperator with our OpenLineage facets.

common-sql's own lineage needs the hook's `get_openlineage_database_info`, which SQLite's hook
(and others) lack, so a `sql` step would report no datasets and no column lineage there. Ours
comes from sqlglot on every dialect, under the same dataset names our other operators use, so an
INSERT ... SELECT or CREATE TABLE AS joins the transfers and loads around it in a lineage graph.
Running the statement is left entirely to common-sql.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

from airflow_ai_etl.operators._lineage import LineageMixin

if TYPE_CHECKING:
    from airflow_ai_etl.lineage.model import Dataset, StepLineage


class SqlStatementOperator(LineageMixin, SQLExecuteQueryOperator):
    """Run SQL on `conn_id` as SQLExecuteQueryOperator does; lineage from the SQL by sqlglot."""

    def step_lineage(self, complete: bool) -> StepLineage:
        """Tables read by any statement; the table written, with its columns' origins, of the
        first statement that writes one (a `sql` step holds one statement)."""
        from airflow_ai_etl.lineage.model import StepLineage
        from airflow_ai_etl.operators._lineage import sql_side

        side = sql_side(str(self.conn_id), "conn_id", complete)
        statements = [self.sql] if isinstance(self.sql, str) else list(self.sql)
        lineage = StepLineage(sql=";\n".join(statements), dialect=side.dialect or None)
        for sql in _split(statements, side.dialect):
            inputs, output, columns = side.statement(sql)
            lineage.inputs += [d for d in inputs if d not in lineage.inputs]
            if output is not None and not _written(lineage.outputs, output):
                if not lineage.outputs:
                    lineage.columns = columns
                lineage.outputs.append(output)
        return lineage


def _written(outputs: list[Dataset], dataset: Dataset) -> bool:
    return any((d.namespace, d.name) == (dataset.namespace, dataset.name) for d in outputs)


def _split(statements: list[str], dialect: str) -> list[str]:
    """Each statement on its own (sqlglot's lineage reads one at a time); as given if it cannot parse."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    found = []
    for text in statements:
        try:
            trees = [tree for tree in sqlglot.parse(text, read=dialect or None) if tree]
        except SqlglotError:
            trees = []
        if len(trees) > 1:
            found += [tree.sql(dialect=dialect or None) for tree in trees]
        else:
            found.append(text)
    return found
