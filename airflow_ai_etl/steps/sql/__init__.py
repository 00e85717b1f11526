"""The `sql` step kind: one statement run on a connection."""
