"""A local Spark 'cluster' for tests: master local[2], a warehouse directory and an embedded Derby
metastore in a temporary directory, as one Airflow connection of type `spark`.

Embedded Derby admits one JVM at a time, so Spark jobs on one warehouse run one after another, and
the tests never hold a Spark session of their own: they read what a job wrote from the table's
Parquet files (`table_rows`), or through Spark itself in a job of their own (`spark_rows`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds

BIN = Path(sys.executable).parent
ROWS_JOB = Path(__file__).with_name("spark_rows_job.py")


@dataclass(frozen=True)
class LocalSpark:
    root: Path

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def conf(self) -> dict[str, str]:
        return {
            "spark.sql.warehouse.dir": str(self.warehouse),
            "spark.hadoop.javax.jdo.option.ConnectionURL": (
                f"jdbc:derby:;databaseName={self.root / 'metastore'};create=true"
            ),
            "spark.driver.extraJavaOptions": f"-Dderby.stream.error.file={self.root / 'derby.log'}",
            "spark.ui.enabled": "false",
            "spark.log.level": "WARN",
            "spark.sql.shuffle.partitions": "2",
        }

    def connection(self) -> str:
        """The value of AIRFLOW_CONN_<ID> for this Spark."""
        return json.dumps({"conn_type": "spark", "host": "local[2]", "extra": {"conf": self.conf}})

    def table_dir(self, table: str, database: str = "default") -> Path:
        return self.warehouse / table if database == "default" else self.warehouse / f"{database}.db" / table

    def table_rows(self, table: str, database: str = "default") -> list[tuple[Any, ...]]:
        """Every row in the table's data files (hive-style partition directories), sorted."""
        path = self.table_dir(table, database)
        dataset = ds.dataset(str(path), format="parquet", partitioning="hive")
        data = dataset.to_table().to_pylist()
        return sorted(tuple(row.values()) for row in data)

    def spark_rows(self, *queries: str) -> list[list[list[Any]]]:
        """Each query's rows (sorted) as Spark answers them through the metastore, in one spark-submit."""
        command = [str(BIN / "spark-submit"), "--master", "local[2]"]
        for key, value in self.conf.items():
            command += ["--conf", f"{key}={value}"]
        command += ["--conf", f"spark.pyspark.python={sys.executable}", str(ROWS_JOB), *queries]
        env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env=env,
            stdin=subprocess.DEVNULL,
        )
        lines = [line for line in result.stdout.splitlines() if line.startswith("ROWS ")]
        assert result.returncode == 0 and lines, result.stdout[-3000:] + result.stderr[-3000:]
        return [sorted(rows) for rows in json.loads(lines[-1][5:])]
