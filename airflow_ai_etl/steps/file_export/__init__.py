"""The `file_export` step kind: a query's or a table's rows written to one file."""
