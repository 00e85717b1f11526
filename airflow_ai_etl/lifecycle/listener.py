"""The Airflow listener for runs of generated DAGs: run.started, run.succeeded, run.failed.

Registered through our plugin's `listeners`, so it runs wherever Airflow changes a DAG run's
state (the scheduler, `airflow dags test`, the API server marking a run). A DAG counts as
generated when its file starts with the renderer's marker line; the answer is cached per file and
modification time, so a state change costs a dictionary look-up after the first one. The hooks
only queue an event (lifecycle/publisher.py): they never wait on Kafka and never raise.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from airflow.providers.common.compat.sdk import hookimpl

log = logging.getLogger(__name__)

_generated: dict[tuple[str, float], bool] = {}


def is_generated_file(path: str | None) -> bool:
    """Whether the DAG file at `path` was written by our renderer (its first line is the marker)."""
    if not path:
        return False
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return False
    cached = _generated.get((path, mtime))
    if cached is None:
        from airflow_ai_etl.render.dagfile import GENERATED_MARKER

        try:
            with open(path, encoding="utf-8", errors="replace") as file:
                cached = file.readline().rstrip("\n") == GENERATED_MARKER
        except OSError:
            cached = False
        _generated[(path, mtime)] = cached
    return cached


def _fileloc(dag_run: Any) -> str | None:
    dag = getattr(dag_run, "dag", None)
    path = getattr(dag, "fileloc", None)
    if not path:
        model = getattr(dag_run, "dag_model", None)
        path = getattr(model, "fileloc", None)
    return str(path) if path else None


def _publish(event_type: str, dag_run: Any, msg: str) -> None:
    try:
        if not is_generated_file(_fileloc(dag_run)):
            return
        from airflow_ai_etl.lifecycle.publisher import emit

        logical_date = getattr(dag_run, "logical_date", None)
        run_type = getattr(dag_run, "run_type", None)
        state = getattr(dag_run, "state", None)
        emit(
            event_type,
            str(dag_run.dag_id),
            run_id=str(dag_run.run_id),
            state=str(getattr(state, "value", state)) if state is not None else None,
            run_type=str(getattr(run_type, "value", run_type)) if run_type is not None else None,
            logical_date=logical_date.isoformat() if logical_date is not None else None,
            message=msg or None,
        )
    except Exception:  # a listener that raises would surface in the scheduler's loop
        log.warning("No %s lifecycle event for this DAG run", event_type, exc_info=True)


@hookimpl
def on_dag_run_running(dag_run: Any, msg: str) -> None:
    _publish("run.started", dag_run, msg)


@hookimpl
def on_dag_run_success(dag_run: Any, msg: str) -> None:
    _publish("run.succeeded", dag_run, msg)


@hookimpl
def on_dag_run_failed(dag_run: Any, msg: str) -> None:
    _publish("run.failed", dag_run, msg)
