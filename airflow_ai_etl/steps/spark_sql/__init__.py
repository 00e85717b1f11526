"""The `spark_sql` step kind: Spark SQL with Hive support, optionally writing a target table."""
