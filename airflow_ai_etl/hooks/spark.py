"""SparkJobHook: submit our Spark job script (airflow_ai_etl/spark/sql_job.py) and read its answer.

It is the apache-spark provider's SparkSubmitHook (connection type `spark`: the master is the
connection's host, e.g. `local[*]`, `yarn`, `spark://host:7077`; `deploy-mode`, `spark-binary`,
`queue` ... in its extra), plus three things the job needs:

- Spark configuration from the connection's extra `conf` (a JSON object), so the warehouse and the
  Hive metastore (`spark.sql.warehouse.dir`, `spark.hadoop.javax.jdo.option.ConnectionURL` or
  `spark.hadoop.hive.metastore.uris`) are set once, where the connection is, and every job on that
  connection - transforms and catalog reads alike - sees the same tables;
- the job's result, and on failure Spark's own error message, read from the marker lines the script
  prints (SparkSubmitHook alone reports only spark-submit's exit code);
- on a `local` master, the worker's own Python interpreter for the job, since that is where
  pyspark is installed (a cluster brings its own; set `spark.pyspark.python` to change it).

The job is described by one JSON argument; `spark-submit` and the driver see nothing else.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from airflow.providers.apache.spark.hooks.spark_submit import SparkSubmitHook
from airflow.providers.common.compat.sdk import AirflowException

from airflow_ai_etl.spark.sql_job import ERROR_MARKER, RESULT_MARKER

#: The script spark-submit runs; shipped inside this package.
JOB_SCRIPT = Path(__file__).resolve().parents[1] / "spark" / "sql_job.py"
#: Linux caps one command-line argument at 128 KiB; the job travels as one.
MAX_JOB_BYTES = 120_000


class SparkJobError(RuntimeError):
    """The Spark job failed; the message is Spark's own (error class and text) where it gave one."""


def connection_conf(conn_id: str, extra: Mapping[str, Any]) -> dict[str, str]:
    """The `conf` object of a connection's extra as Spark settings (an error names what is wrong)."""
    conf = extra.get("conf", {})
    if not isinstance(conf, Mapping):
        raise ValueError(
            f"connection {conn_id!r}: extra 'conf' must be a JSON object of Spark settings, "
            f"got {type(conf).__name__}"
        )
    settings: dict[str, str] = {}
    for key, value in conf.items():
        if not isinstance(key, str) or not key.strip() or isinstance(value, dict | list) or value is None:
            raise ValueError(
                f"connection {conn_id!r}: extra 'conf' entry {key!r} must map a setting name to a "
                "string, number or boolean"
            )
        settings[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return settings


def encode_job(job: Mapping[str, Any]) -> str:
    """The job as the script's one argument (JSON; NUL and other control characters escaped)."""
    text = json.dumps(job, ensure_ascii=False, separators=(",", ":"))
    size = len(text.encode("utf-8"))
    if size > MAX_JOB_BYTES:
        raise ValueError(
            f"the Spark job is {size} bytes as JSON, more than the {MAX_JOB_BYTES} one command-line "
            "argument may hold; shorten 'sql'"
        )
    return text


class SparkJobHook(SparkSubmitHook):
    """Run one job of sql_job.py through spark-submit on connection `conn_id`.

    :param job: the job (see sql_job.py), e.g. `{"action": "run", "sql": ..., "target_table": ...}`.
    :param conn_id: connection of type `spark`.
    :param conf: Spark settings on top of the connection's extra `conf` (these win).
    :param name: the Spark application name.
    """

    def __init__(
        self,
        *,
        job: Mapping[str, Any],
        conn_id: str = "spark_default",
        conf: Mapping[str, Any] | None = None,
        name: str = "ai_etl_spark_job",
    ) -> None:
        connection = self.get_connection(conn_id)
        if connection.conn_type != "spark":
            raise ValueError(
                f"conn_id: connection {conn_id!r} is of type {connection.conn_type!r}; a Spark job "
                "needs a connection of type 'spark'"
            )
        settings = {
            **connection_conf(conn_id, connection.extra_dejson),
            **{k: str(v) for k, v in (conf or {}).items()},
        }
        super().__init__(
            conf=settings,
            conn_id=conn_id,
            name=name,
            application_args=[encode_job({**job, "name": name})],
        )
        if str(self._connection["master"]).startswith("local"):
            self._conf.setdefault("spark.pyspark.python", sys.executable)
        self.result: dict[str, Any] | None = None
        self.error: dict[str, Any] | None = None

    def _process_spark_submit_log(self, itr: Iterator[Any]) -> None:
        super()._process_spark_submit_log(self._read_markers(itr))

    def _read_markers(self, itr: Iterator[Any]) -> Iterator[Any]:
        for raw in itr:
            line = str(raw).strip()
            for marker, attribute in ((RESULT_MARKER, "result"), (ERROR_MARKER, "error")):
                if line.startswith(marker):
                    try:
                        setattr(self, attribute, json.loads(line[len(marker) :]))
                    except ValueError:
                        self.log.warning("Unreadable %s line from the Spark job: %s", attribute, line)
            yield raw

    def run(self) -> dict[str, Any]:
        """Submit the job and wait; its result, or SparkJobError with Spark's message."""
        try:
            self.submit(str(JOB_SCRIPT))
        except FileNotFoundError as err:
            raise SparkJobError(
                f"cannot start {self._connection['spark_binary']!r}: it is not on the worker's PATH "
                f"({err}); install pyspark (or Spark) on the worker"
            ) from err
        except AirflowException as err:
            if self.error is not None:
                raise SparkJobError(
                    f"Spark job failed: {self.error.get('error')}: {self.error.get('message')}"
                ) from err
            raise SparkJobError(f"Spark job failed before it could report why: {err}") from err
        if self.result is None:
            raise SparkJobError(
                "spark-submit finished but the job reported no result (in cluster deploy mode the "
                "driver's output is not seen here; use client mode)"
            )
        return self.result
