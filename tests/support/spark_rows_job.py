"""Test helper run by spark-submit: print a query's rows as one JSON line `ROWS [...]`."""

import json
import sys

from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("ai_etl_test_rows").enableHiveSupport().getOrCreate()
rows = [list(row) for row in spark.sql(sys.argv[1]).collect()]
spark.stop()
print("ROWS " + json.dumps(rows, default=str), flush=True)
