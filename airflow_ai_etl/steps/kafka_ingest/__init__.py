"""The `kafka_ingest` step kind: a bounded batch of a Kafka topic loaded into a table, exactly once."""
