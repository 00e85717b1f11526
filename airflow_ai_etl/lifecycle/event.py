"""One lifecycle event as the JSON object published on Kafka (schema: lifecycle_event.v1.json).

Events carry names, versions, states and user names only: never SQL, connection details or
secrets, so the topic can be read widely. A consumer checks `schema_version` first; a new field is
added without changing it, a changed or removed one makes a new version.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from importlib import resources
from typing import Any

SCHEMA_VERSION = 1
SCHEMA_FILE = "lifecycle_event.v1.json"

#: Every event type: what happened to a pipeline, and the runs of generated DAGs.
EVENT_TYPES = (
    "pipeline.generated",
    "pipeline.approved",
    "pipeline.deployed",
    "pipeline.rolled_back",
    "run.started",
    "run.succeeded",
    "run.failed",
)


def lifecycle_event(event_type: str, dag_id: str | None, **details: Any) -> dict[str, Any]:
    """The event: type, DAG, time (UTC, ISO 8601), a unique id, and the type's own details."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown lifecycle event type {event_type!r}; use one of {', '.join(EVENT_TYPES)}")
    return {
        "schema_version": SCHEMA_VERSION,
        "event_id": uuid.uuid4().hex,
        "type": event_type,
        "time": dt.datetime.now(dt.UTC).isoformat(),
        "dag_id": dag_id,
        "details": {key: value for key, value in details.items() if value is not None},
    }


def event_schema() -> dict[str, Any]:
    """The JSON schema the events follow, as shipped in the package."""
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
