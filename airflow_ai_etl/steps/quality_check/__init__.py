"""The `quality_check` step kind: column and table checks on one table."""
