"""SparkSqlTransformOperator: run Spark SQL with Hive support through spark-submit.

The worker only starts `spark-submit` (the apache-spark provider's SparkSubmitHook, through our
SparkJobHook); the SQL runs in a Spark driver on the connection's master, `local[*]` or a cluster,
with the tables of Spark's Hive catalog. See airflow_ai_etl/spark/sql_job.py for what the driver
does, and why an overwrite never leaves the target half-written.

Reruns: `overwrite` gives the same table on every run of the same query; `overwrite_partitions`
replaces the partitions the query's rows fall into (rerunning one interval replaces that interval);
`append` adds the rows again on every run, so a retried or rerun `append` duplicates them - use it
only for data that may repeat, or give each run its own partition and use `overwrite_partitions`.

Only `airflow.sdk` is imported at module level: DAG files import this module at every parse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_ai_etl.operators._lineage import LineageMixin

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_ai_etl.hooks.spark import SparkJobHook
    from airflow_ai_etl.lineage.model import Dataset, StepLineage

MODES = ("overwrite", "overwrite_partitions", "append")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


class SparkSqlTransformOperator(LineageMixin, BaseOperator):
    """Run `sql` on Spark; with `target_table`, write the query's rows to that Hive table.

    :param sql: with `target_table`, one query (SELECT, WITH ..., VALUES); without, one statement
        run as it is (CREATE TABLE [AS], INSERT [OVERWRITE], ...).
    :param target_table: `table` or `database.table` in Spark's catalog; created (Parquet, with
        `partition_by`) when missing, otherwise written by column name.
    :param mode: `overwrite` replaces every row; `overwrite_partitions` replaces only the partitions
        the rows fall into; `append` adds the rows (a rerun adds them again).
    :param partition_by: partition columns of the target table, in order.
    :param conn_id: connection of type `spark` (master in its host; Spark settings, e.g. the
        warehouse and metastore, in its extra `conf`).
    :param conf: more Spark settings for this task (they win over the connection's).
    """

    template_fields: Sequence[str] = ("sql", "target_table", "partition_by", "conf")
    template_ext: Sequence[str] = ()  # SQL ending in '.sql' is SQL, not a file name
    template_fields_renderers = {"sql": "sql", "conf": "json"}
    ui_color = "#fbe9d5"

    def __init__(
        self,
        *,
        sql: str,
        target_table: str | None = None,
        mode: str = "overwrite",
        partition_by: Sequence[str] = (),
        conn_id: str = "spark_default",
        conf: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(sql, str) or not sql.strip():
            raise ValueError(f"{self.task_id}: 'sql' must be a non-empty SQL text")
        if mode not in MODES:
            raise ValueError(f"{self.task_id}: unknown mode {mode!r}; use one of {', '.join(MODES)}")
        if isinstance(partition_by, str):
            raise ValueError(f"{self.task_id}: 'partition_by' must be a list of column names, not a string")
        if target_table is None and (mode != "overwrite" or partition_by):
            raise ValueError(f"{self.task_id}: 'mode' and 'partition_by' are only used with 'target_table'")
        if mode == "overwrite_partitions" and not partition_by:
            raise ValueError(
                f"{self.task_id}: mode 'overwrite_partitions' needs 'partition_by' (the partition columns)"
            )
        if conf is not None and not isinstance(conf, Mapping):
            raise ValueError(f"{self.task_id}: 'conf' must be a mapping of Spark settings")
        if not isinstance(conn_id, str) or not conn_id:
            raise ValueError(f"{self.task_id}: 'conn_id' must name a connection of type 'spark'")
        self.sql = sql
        self.target_table = target_table
        self.mode = mode
        self.partition_by = list(partition_by)
        self.conn_id = conn_id
        self.conf = dict(conf) if conf is not None else {}
        self._hook: SparkJobHook | None = None

    def _check_rendered(self) -> None:
        """Names are checked again once templates are rendered: they reach Spark as identifiers."""
        if self.target_table is not None and not _TABLE.match(str(self.target_table)):
            raise ValueError(
                f"{self.task_id}: 'target_table' {self.target_table!r} is not a table name "
                "(table or database.table, letters, digits and underscores)"
            )
        bad = [c for c in self.partition_by if not isinstance(c, str) or not _IDENTIFIER.match(c)]
        if bad:
            raise ValueError(f"{self.task_id}: 'partition_by' has names that are not column names: {bad}")
        if len({c.lower() for c in self.partition_by}) != len(self.partition_by):
            raise ValueError(f"{self.task_id}: 'partition_by' lists a column twice")

    def job(self) -> dict[str, Any]:
        """What the driver is asked to do (sql_job.py's `run` action)."""
        return {
            "action": "run",
            "sql": self.sql,
            "target_table": self.target_table,
            "mode": self.mode,
            "partition_by": self.partition_by,
        }

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_ai_etl.hooks.spark import SparkJobHook

        self._check_rendered()
        name = f"ai_etl.{self.dag_id}.{self.task_id}"
        self._hook = SparkJobHook(job=self.job(), conn_id=self.conn_id, conf=self.conf, name=name)
        result = self._hook.run()
        if self.target_table is not None:
            self.log.info(
                "Wrote %s rows to %s (%s%s)",
                result.get("rows"),
                result.get("target_table"),
                self.mode,
                ", created" if result.get("created") else "",
            )
        return result

    def step_lineage(self, complete: bool) -> StepLineage:
        """The tables the SQL reads -> `target_table` (or the table the statement writes), by column."""
        from airflow.sdk import BaseHook

        from airflow_ai_etl.hooks.spark import connection_conf
        from airflow_ai_etl.lineage.columns import statement_lineage
        from airflow_ai_etl.lineage.model import StepLineage, statement_columns
        from airflow_ai_etl.lineage.naming import spark_dataset

        extra = BaseHook.get_connection(self.conn_id).extra_dejson
        conf = {**connection_conf(self.conn_id, extra), **{k: str(v) for k, v in self.conf.items()}}
        written = statement_lineage(str(self.sql), "spark")
        target = str(self.target_table) if self.target_table is not None else written.writes

        def dataset(table: str) -> Dataset:
            return spark_dataset(table, conf)

        return StepLineage(
            inputs=[dataset(t) for t in written.reads],
            outputs=[dataset(target)] if target else [],
            sql=str(self.sql),
            dialect="spark",
            columns=statement_columns(written, dataset),
        )

    def on_kill(self) -> None:
        if self._hook is not None:
            self._hook.on_kill()
