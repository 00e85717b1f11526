"""The `python_transform` step kind: one pure function over Arrow batches, checked, approved and sandboxed."""
