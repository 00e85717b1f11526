"""The `transfer` step kind: a query's or a table's rows copied into a table on another connection."""
