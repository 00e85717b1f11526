"""The `file_load` step kind: files loaded into a table."""
