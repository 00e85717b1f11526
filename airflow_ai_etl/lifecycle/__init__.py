"""Lifecycle events on Kafka: a generated draft, an approval, a deploy, a rollback, and the runs
of generated DAGs (started, succeeded, failed), as JSON on `[ai_etl] events_topic` of the `kafka`
connection `[ai_etl] events_conn_id`.

- `event.py`: the event's shape and version (the JSON schema ships as `lifecycle_event.v1.json`);
- `publisher.py`: a bounded queue and a background thread in front of a Kafka producer, so that
  publishing costs a task or a request a queue put, whatever the broker does;
- `listener.py`: the Airflow listener (registered by our plugin) for DAG-run state changes.

Our own code paths call `emit`; with no `events_conn_id` it does nothing.
"""

from airflow_ai_etl.lifecycle.event import EVENT_TYPES, SCHEMA_VERSION, lifecycle_event
from airflow_ai_etl.lifecycle.publisher import emit

__all__ = ["EVENT_TYPES", "SCHEMA_VERSION", "emit", "lifecycle_event"]
