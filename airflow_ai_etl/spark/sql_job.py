"""The Spark side of airflow-ai-etl: one script, run by `spark-submit`, that needs only pyspark.

It is shipped as package data and submitted as a file, so the Airflow worker stays light (it only
starts `spark-submit`) and the same script runs on `local[*]` and on a cluster. It imports nothing
from airflow_ai_etl: the driver may be a machine where only Spark is installed.

Usage: `spark-submit [options] sql_job.py '<job as JSON>'`, where the job is one of

- `{"action": "run", "sql": ..., "target_table": null}` - run one statement as it is;
- `{"action": "run", "sql": <query>, "target_table": "db.table", "mode": ..., "partition_by": [...]}`
  - write the query's rows to the table (created when missing, columns matched by name):
  `overwrite` replaces all rows, `overwrite_partitions` replaces only the partitions the rows fall
  into, `append` adds the rows;
- `{"action": "catalog", "databases": null | [...]}` - describe databases, tables and columns.

The last line it prints is `AI_ETL_RESULT <json>` on success, or `AI_ETL_ERROR <json>` (the error
class and Spark's message) before it exits with status 1, so the caller can show Spark's own words.

Overwrite never leaves the target half-written: the rows are written into a staging table first
(the slow part, which a kill may interrupt at no cost), then the tables are swapped by two metastore
renames. A later run completes or undoes a swap a kill interrupted (see `_recover`).
"""

from __future__ import annotations

import json
import re
import sys
import traceback
from typing import Any

RESULT_MARKER = "AI_ETL_RESULT "
ERROR_MARKER = "AI_ETL_ERROR "
STAGING_SUFFIX = "__ai_etl_staging"
RETIRED_SUFFIX = "__ai_etl_retired"
MODES = ("overwrite", "overwrite_partitions", "append")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class JobError(Exception):
    """A problem with the job itself (not Spark's): reported like Spark's errors."""


def _quote(name: str) -> str:
    """`db`.`table` from db.table; every part was checked to be a plain identifier."""
    parts = name.split(".")
    if not 1 <= len(parts) <= 2 or not all(_IDENTIFIER.match(p) for p in parts):
        raise JobError(f"target_table {name!r} is not a table name (table or database.table)")
    return ".".join(f"`{p}`" for p in parts)


def _session(app_name: str) -> Any:
    from pyspark.sql import SparkSession

    return SparkSession.builder.appName(app_name).enableHiveSupport().getOrCreate()


def _split(spark: Any, name: str) -> tuple[str, str]:
    parts = name.split(".")
    database = parts[0] if len(parts) == 2 else spark.catalog.currentDatabase()
    return database, parts[-1]


def _exists(spark: Any, database: str, table: str) -> bool:
    return bool(spark.catalog.tableExists(f"`{database}`.`{table}`"))


def _rename(spark: Any, database: str, old: str, new: str) -> None:
    spark.sql(f"ALTER TABLE `{database}`.`{old}` RENAME TO `{database}`.`{new}`")


def _drop(spark: Any, database: str, table: str) -> None:
    spark.sql(f"DROP TABLE IF EXISTS `{database}`.`{table}`")


def _recover(spark: Any, database: str, table: str) -> None:
    """Finish what a killed overwrite left: the target always ends up as the newest complete table.

    The swap is: rename target -> retired, rename staging -> target, drop retired. A kill after the
    first rename leaves retired without target: staging (complete, else it would not have been
    renamed to) becomes the target. A kill after the second leaves a retired table to drop. A
    staging table without a retired one is an unfinished write: dropped.
    """
    staging, retired = table + STAGING_SUFFIX, table + RETIRED_SUFFIX
    if _exists(spark, database, retired) and not _exists(spark, database, table):
        if _exists(spark, database, staging):
            _rename(spark, database, staging, table)
        else:
            _rename(spark, database, retired, table)
    _drop(spark, database, retired)
    _drop(spark, database, staging)
    _delete_orphan_location(spark, database, staging)


def _delete_orphan_location(spark: Any, database: str, table: str) -> None:
    """Remove the files a killed CREATE TABLE AS left at a table's default location.

    Spark writes a new table's files before it records the table in the metastore, so a kill in
    between leaves a directory that no DROP TABLE reaches and that makes the next CREATE fail
    (LOCATION_ALREADY_EXISTS). Only called for our own staging name, which no spec may use.
    """
    rows = spark.sql(f"DESCRIBE DATABASE `{database}`").collect()
    location = next((row[1] for row in rows if str(row[0]).lower() == "location"), None)
    if not location:
        return
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(f"{str(location).rstrip('/')}/{table.lower()}")
    filesystem = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    if filesystem.exists(path):
        filesystem.delete(path, True)


def _target_columns(spark: Any, database: str, table: str) -> tuple[list[str], list[str]]:
    columns = spark.catalog.listColumns(f"`{database}`.`{table}`")
    return [c.name for c in columns], [c.name for c in columns if c.isPartition]


def _aligned(frame: Any, target: str, columns: list[str]) -> Any:
    """The query's columns in the target's order, matched by name (Spark inserts by position)."""
    have = {c.lower(): c for c in frame.columns}
    missing = [c for c in columns if c.lower() not in have]
    extra = [c for c in frame.columns if c.lower() not in {t.lower() for t in columns}]
    if missing or extra:
        raise JobError(
            f"the query's columns do not match {target}: "
            + "; ".join(
                part
                for part in (
                    f"missing {', '.join(missing)}" if missing else "",
                    f"not in the table {', '.join(extra)}" if extra else "",
                )
                if part
            )
        )
    return frame.select(*(have[c.lower()] for c in columns))


def _write(spark: Any, job: dict[str, Any]) -> dict[str, Any]:
    mode = job.get("mode", "overwrite")
    if mode not in MODES:
        raise JobError(f"mode {mode!r} is not one of {', '.join(MODES)}")
    partition_by = list(job.get("partition_by") or [])
    target = str(job["target_table"])
    _quote(target)
    database, table = _split(spark, target)
    qualified = f"`{database}`.`{table}`"
    _recover(spark, database, table)
    frame = spark.sql(job["sql"])
    exists = _exists(spark, database, table)
    if exists:
        columns, partitions = _target_columns(spark, database, table)
        if partition_by and [p.lower() for p in partition_by] != [p.lower() for p in partitions]:
            raise JobError(
                f"partition_by {partition_by} differs from the partition columns of {database}.{table} "
                f"({partitions or 'none'})"
            )
        frame = _aligned(frame, f"{database}.{table}", columns)
    else:
        missing = [p for p in partition_by if p.lower() not in {c.lower() for c in frame.columns}]
        if missing:
            raise JobError(f"partition_by column(s) {', '.join(missing)} are not among the query's columns")
    if mode == "overwrite_partitions" and not (partition_by or (exists and partitions)):
        raise JobError("mode 'overwrite_partitions' needs a partitioned target (set partition_by)")

    frame = frame.cache()
    rows = frame.count()
    if not exists:
        # A new table: written under the staging name and renamed, so a kill leaves no half table.
        staging = table + STAGING_SUFFIX
        writer = frame.write.format("parquet").mode("error")
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        writer.saveAsTable(f"`{database}`.`{staging}`")
        _rename(spark, database, staging, table)
    elif mode == "append":
        frame.write.insertInto(qualified, overwrite=False)
    elif mode == "overwrite_partitions":
        # Dynamic overwrite writes into a staging directory and replaces only the partitions written.
        spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
        frame.write.insertInto(qualified, overwrite=True)
    else:
        staging, retired = table + STAGING_SUFFIX, table + RETIRED_SUFFIX
        spark.sql(f"CREATE TABLE `{database}`.`{staging}` LIKE {qualified}")
        frame.write.insertInto(f"`{database}`.`{staging}`", overwrite=True)
        _rename(spark, database, table, retired)
        _rename(spark, database, staging, table)
        _drop(spark, database, retired)
    return {"target_table": f"{database}.{table}", "mode": mode, "rows": rows, "created": not exists}


def _run(spark: Any, job: dict[str, Any]) -> dict[str, Any]:
    if job.get("target_table"):
        return _write(spark, job)
    spark.sql(job["sql"]).collect()
    return {"target_table": None, "rows": None}


def _catalog(spark: Any, job: dict[str, Any]) -> dict[str, Any]:
    wanted = job.get("databases")
    names = [d.name for d in spark.catalog.listDatabases()]
    if wanted is not None:
        names = [n for n in names if n in {w.lower() for w in wanted}]
    tables = []
    for database in sorted(names):
        for table in sorted(spark.catalog.listTables(database), key=lambda t: t.name):
            if table.isTemporary:
                continue
            columns = spark.catalog.listColumns(f"`{database}`.`{table.name}`")
            tables.append(
                {
                    "database": database,
                    "name": table.name,
                    "type": table.tableType,
                    "comment": table.description,
                    "columns": [
                        {
                            "name": c.name,
                            "type": c.dataType,
                            "nullable": c.nullable,
                            "comment": c.description,
                            "partition": c.isPartition,
                        }
                        for c in columns
                    ],
                }
            )
    return {"default_database": spark.catalog.currentDatabase(), "tables": tables}


def _error_text(error: BaseException) -> str:
    """Spark's message without the JVM stack trace that py4j appends."""
    text = str(error).strip()
    cut = text.find("\nJVM stacktrace:")
    return (text[:cut] if cut >= 0 else text).strip()[:4000]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"{ERROR_MARKER}{json.dumps({'error': 'usage', 'message': 'one argument: the job'})}")
        return 2
    try:
        job = json.loads(argv[1])
        action = job.get("action")
        if action not in ("run", "catalog"):
            raise JobError(f"unknown action {action!r}")
        spark = _session(str(job.get("name") or f"ai_etl_{action}"))
        try:
            result = _run(spark, job) if action == "run" else _catalog(spark, job)
        finally:
            spark.stop()
    except Exception as error:
        traceback.print_exc(file=sys.stderr)
        sys.stderr.flush()
        payload = {"error": type(error).__name__, "message": _error_text(error)}
        print(ERROR_MARKER + json.dumps(payload), flush=True)
        return 1
    print(RESULT_MARKER + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
