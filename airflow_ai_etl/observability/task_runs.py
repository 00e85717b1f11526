"""One run of a data-moving operator, measured: metrics through Stats and a telemetry row.

The operators wrap their work in `measured_run` and fill in what they moved; a run that raises is
reported as failed (with what it had counted) and the exception goes on unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_ai_etl.observability import metrics, telemetry

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator, Context


@dataclass
class Moved:
    """What the run moved so far; `bytes` stays None on paths that do not see bytes."""

    rows: int = 0
    bytes: int | None = None


@contextmanager
def measured_run(operator: BaseOperator, context: Context, kind: str) -> Iterator[Moved]:
    moved = Moved()
    started = time.perf_counter()
    outcome = "failed"
    try:
        yield moved
        outcome = "success"
    finally:
        run = metrics.TaskRun(
            dag_id=operator.dag_id,
            task_id=operator.task_id,
            kind=kind,
            outcome=outcome,
            duration_s=time.perf_counter() - started,
            rows=moved.rows,
            bytes=moved.bytes,
        )
        metrics.task_finished(run)
        telemetry.record(
            telemetry.TaskRunRow(
                dag_id=run.dag_id,
                task_id=run.task_id,
                run_id=str(context.get("run_id") or ""),
                kind=kind,
                outcome=outcome,
                rows=moved.rows,
                bytes=moved.bytes,
                duration_s=run.duration_s,
            )
        )


def measured(
    operator: BaseOperator, context: Context, kind: str, work: Callable[[Moved], dict[str, Any]]
) -> dict[str, Any]:
    """`work` run measured: what it moved is its result's `rows`, and its `bytes` when the result
    gives them (otherwise what `work` counted into its `Moved`)."""
    with measured_run(operator, context, kind) as moved:
        result = work(moved)
        moved.rows = result["rows"]
        if "bytes" in result:
            moved.bytes = result["bytes"]
    return result
