"""Test helper run by spark-submit: print each query's rows (one query per argument) as one JSON
line `ROWS [[rows of the first query], ...]`."""

import json
import sys

from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("ai_etl_test_rows").enableHiveSupport().getOrCreate()
results = [[list(row) for row in spark.sql(sql).collect()] for sql in sys.argv[1:]]
spark.stop()
print("ROWS " + json.dumps(results, default=str), flush=True)
