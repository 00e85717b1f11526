"""One local Spark warehouse + metastore for the whole session, as connection `spark_test`."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.spark import BIN, LocalSpark

CONN_ID = "spark_test"


@pytest.fixture(scope="session")
def local_spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSpark]:
    """The warehouse, and `spark-submit` (from pyspark, beside this interpreter) on PATH."""
    spark = LocalSpark(tmp_path_factory.mktemp("spark"))
    saved = {name: os.environ.get(name) for name in ("PATH", f"AIRFLOW_CONN_{CONN_ID.upper()}")}
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = spark.connection()
    try:
        yield spark
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
