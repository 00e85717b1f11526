"""What the API asks of Airflow itself: connections to pick from, DAG runs to trigger and watch.

Runs in the api-server, which has the metadata database; every function uses Airflow's own models
and session handling, so it behaves like Airflow's REST API does.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_ai_etl.store.generation import RunOutput

_ENV_PREFIX = "AIRFLOW_CONN_"

#: Task states after which a task publishes nothing more (a retry brings it back to `up_for_retry`).
_TASK_OVER = frozenset({"success", "failed", "upstream_failed", "skipped", "removed"})


class DagNotReady(LookupError):
    """Airflow does not know the DAG (yet): not installed, or not parsed so far."""


class ParamsRefused(ValueError):
    """The DAG's params refused the run's conf (e.g. a system DAG installed by an older version)."""


@dataclass(frozen=True)
class RunState:
    dag_id: str
    run_id: str
    state: str | None


def list_connections() -> list[tuple[str, str]]:
    """(conn_id, conn_type) of the metadata database's connections and AIRFLOW_CONN_* variables.

    Secrets backends cannot be listed; their connections still work when named. No secret leaves.
    """
    from airflow.models import Connection
    from airflow.utils.session import create_session
    from sqlalchemy import select

    found: dict[str, str] = {}
    for name, value in os.environ.items():
        if not name.startswith(_ENV_PREFIX) or name.startswith(f"{_ENV_PREFIX}_"):
            continue  # AIRFLOW_CONN__<TEAM>___<ID> are team connections, not listed here
        conn_id = name.removeprefix(_ENV_PREFIX).lower()
        found[conn_id] = _env_conn_type(conn_id, value)
    with create_session() as session:
        for conn_id, conn_type in session.execute(select(Connection.conn_id, Connection.conn_type)):
            found.setdefault(conn_id, conn_type or "")
    return sorted(found.items())


def _env_conn_type(conn_id: str, value: str) -> str:
    from airflow.models import Connection

    try:
        if value.lstrip().startswith("{"):
            return str(json.loads(value).get("conn_type") or "")
        return Connection(conn_id=conn_id, uri=value).conn_type or ""
    except Exception:  # an unparsable variable is Airflow's error to report, not the picker's
        return ""


def trigger(dag_id: str, *, conf: dict[str, object], user: str) -> RunState:
    """Start a manual run of `dag_id`; DagNotReady when Airflow lacks it."""
    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.exceptions import DagNotFound, ParamValidationError
    from airflow.utils.types import DagRunTriggeredByType

    parsed_dag(dag_id)
    try:
        run = trigger_dag(
            dag_id,
            triggered_by=DagRunTriggeredByType.REST_API,
            triggering_user_name=user,
            conf=conf,
        )
    except DagNotFound:
        raise DagNotReady(dag_id) from None
    except ParamValidationError as exc:
        raise ParamsRefused(f"{dag_id}: {exc}") from None
    if run is None:
        raise DagNotReady(dag_id)
    return RunState(dag_id, run.run_id, str(run.state) if run.state else None)


@dataclass(frozen=True)
class ParsedDag:
    """What Airflow's DagModel says about a parsed DAG that a test run and the pipelines list need."""

    dag_id: str
    paused: bool
    fileloc: str
    bundle_name: str
    schedule: str | None
    next_run_after: dt.datetime | None


def parsed_dag(dag_id: str) -> ParsedDag:
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session

    with create_session() as session:
        model = session.get(DagModel, dag_id)
        if model is None or model.is_stale or not model.fileloc:
            raise DagNotReady(dag_id)
        return ParsedDag(
            dag_id=dag_id,
            paused=bool(model.is_paused),
            fileloc=model.fileloc,
            bundle_name=model.bundle_name,
            schedule=model.timetable_summary,
            next_run_after=model.next_dagrun_create_after,
        )


def set_paused(dag_id: str, *, paused: bool) -> ParsedDag:
    """Pause or unpause `dag_id` as Airflow's `PATCH /api/v2/dags/{dag_id}` does; DagNotReady if unparsed."""
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session

    parsed_dag(dag_id)
    with create_session() as session:
        model = session.get(DagModel, dag_id)
        assert model is not None
        model.is_paused = paused
    return parsed_dag(dag_id)


def run_state(dag_id: str, run_id: str) -> RunState | None:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        state = session.scalar(select(DagRun.state).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
        exists = state is not None or session.scalar(
            select(DagRun.id).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)
        )
    return RunState(dag_id, run_id, str(state) if state else None) if exists else None


def generation_output(run_id: str) -> RunOutput:
    """What the system DAG's run `run_id` has published: its task's events and result XComs.

    The states are read before the XComs: a task's result is written before it is marked
    successful, so a finished task is never mistaken for one that ended without a result.
    """
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.sdk.execution_time.xcom import XCom
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from airflow_ai_etl.deploy.system_dag import SYSTEM_DAG_ID
    from airflow_ai_etl.operators.generate import EVENTS_XCOM_KEY
    from airflow_ai_etl.store.generation import GENERATE_TASK_ID, RunOutput

    with create_session() as session:
        run = session.execute(
            select(DagRun.state).where(DagRun.dag_id == SYSTEM_DAG_ID, DagRun.run_id == run_id)
        ).one_or_none()
        task_state = session.scalar(
            select(TaskInstance.state).where(
                TaskInstance.dag_id == SYSTEM_DAG_ID,
                TaskInstance.run_id == run_id,
                TaskInstance.task_id == GENERATE_TASK_ID,
            )
        )
        xcoms = session.scalars(
            select(XComModel).where(
                XComModel.dag_id == SYSTEM_DAG_ID,
                XComModel.run_id == run_id,
                XComModel.task_id == GENERATE_TASK_ID,
                XComModel.map_index == -1,
                XComModel.key.in_([EVENTS_XCOM_KEY, "return_value"]),
            )
        ).all()
        values = {row.key: XCom.deserialize_value(row) for row in xcoms}
    if run is None:
        return RunOutput(ended="deleted")
    ended = None
    if task_state is not None and str(task_state) in _TASK_OVER:
        ended = f"task {task_state}"
    elif str(run.state) in ("success", "failed"):
        ended = f"run {run.state}"
    events = values.get(EVENTS_XCOM_KEY)
    return RunOutput(
        events=events if isinstance(events, list) else [], result=values.get("return_value"), ended=ended
    )


def generation_markers(run_ids: Iterable[str]) -> dict[str, str]:
    """`{run_id: marker}` of the system DAG's runs, in one query; a deleted run is left out.

    The marker changes whenever the run publishes (a new XCom replaces the old one with a new
    timestamp) or its run or task changes state, so an unchanged marker means nothing to copy.
    """
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import and_, func, select

    from airflow_ai_etl.deploy.system_dag import SYSTEM_DAG_ID
    from airflow_ai_etl.store.generation import GENERATE_TASK_ID

    wanted = list(dict.fromkeys(run_ids))
    if not wanted:
        return {}
    published = (
        select(XComModel.run_id, func.max(XComModel.timestamp).label("at"), func.count().label("count"))
        .where(
            XComModel.dag_id == SYSTEM_DAG_ID,
            XComModel.task_id == GENERATE_TASK_ID,
            XComModel.map_index == -1,
            XComModel.run_id.in_(wanted),
        )
        .group_by(XComModel.run_id)
        .subquery()
    )
    task = and_(
        TaskInstance.dag_id == DagRun.dag_id,
        TaskInstance.run_id == DagRun.run_id,
        TaskInstance.task_id == GENERATE_TASK_ID,
        TaskInstance.map_index == -1,
    )
    query = (
        select(DagRun.run_id, DagRun.state, TaskInstance.state, published.c.at, published.c.count)
        .outerjoin(TaskInstance, task)
        .outerjoin(published, published.c.run_id == DagRun.run_id)
        .where(DagRun.dag_id == SYSTEM_DAG_ID, DagRun.run_id.in_(wanted))
    )
    with create_session() as session:
        rows = session.execute(query).all()
    return {
        run_id: f"{run}|{task_state}|{at.isoformat() if at else '-'}|{count or 0}"
        for run_id, run, task_state, at, count in rows
    }


@dataclass(frozen=True)
class DagStatus:
    """A deployed pipeline as Airflow sees it now: parsed or not, paused or not, its runs."""

    parsed: bool
    paused: bool | None
    schedule: str | None
    next_run_after: dt.datetime | None
    last_run_id: str | None
    last_run_state: str | None
    last_run_at: dt.datetime | None


def dag_statuses(dag_ids: Iterable[str]) -> dict[str, DagStatus]:
    """`{dag_id: DagStatus}` for every dag_id asked, in two queries; unparsed DAGs say so."""
    from airflow.models.dag import DagModel
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    wanted = list(dag_ids)
    if not wanted:
        return {}
    with create_session() as session:
        models = {
            row.dag_id: row
            for row in session.execute(
                select(
                    DagModel.dag_id,
                    DagModel.is_paused,
                    DagModel.is_stale,
                    DagModel.timetable_summary,
                    DagModel.next_dagrun_create_after,
                ).where(DagModel.dag_id.in_(wanted))
            )
        }
        latest = (
            select(DagRun.dag_id, func.max(DagRun.id).label("run"))
            .where(DagRun.dag_id.in_(wanted))
            .group_by(DagRun.dag_id)
            .subquery()
        )
        runs = {
            row.dag_id: row
            for row in session.execute(
                select(DagRun.dag_id, DagRun.run_id, DagRun.state, DagRun.run_after).join(
                    latest, DagRun.id == latest.c.run
                )
            )
        }
    statuses = {}
    for dag_id in wanted:
        model, run = models.get(dag_id), runs.get(dag_id)
        live = model if model is not None and not model.is_stale else None
        statuses[dag_id] = DagStatus(
            parsed=live is not None,
            paused=bool(live.is_paused) if live else None,
            schedule=live.timetable_summary if live else None,
            next_run_after=live.next_dagrun_create_after if live and not live.is_paused else None,
            last_run_id=run.run_id if run else None,
            last_run_state=str(run.state) if run and run.state else None,
            last_run_at=run.run_after if run else None,
        )
    return statuses


@dataclass(frozen=True)
class GenerationWait:
    """What a generation run waits for now, from Airflow's own run and task instance rows."""

    waiting_for: str
    since: dt.datetime | None
    pool: str | None
    executor: str | None


def generation_wait(run_id: str) -> GenerationWait | None:
    """Where the system DAG's run `run_id` stands: queued run, task waiting for a slot or a worker, running.

    None when the run is gone or over. The stages are the scheduler's: a queued run waits for the
    scheduler to start it; a scheduled task for a pool slot and the executor; a queued task for a
    worker of its executor to pick it up.
    """
    from airflow.configuration import conf
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from airflow_ai_etl.deploy.system_dag import SYSTEM_DAG_ID
    from airflow_ai_etl.store.generation import GENERATE_TASK_ID

    with create_session() as session:
        run = session.execute(
            select(DagRun.state, DagRun.queued_at, DagRun.start_date).where(
                DagRun.dag_id == SYSTEM_DAG_ID, DagRun.run_id == run_id
            )
        ).one_or_none()
        task = session.execute(
            select(
                TaskInstance.state,
                TaskInstance.pool,
                TaskInstance.executor,
                TaskInstance.scheduled_dttm,
                TaskInstance.queued_dttm,
                TaskInstance.start_date,
            ).where(
                TaskInstance.dag_id == SYSTEM_DAG_ID,
                TaskInstance.run_id == run_id,
                TaskInstance.task_id == GENERATE_TASK_ID,
            )
        ).one_or_none()
    if run is None or str(run.state) not in ("queued", "running"):
        return None
    executor = (task.executor if task else None) or conf.get("core", "executor").split(",")[0].split(":")[-1]
    pool = task.pool if task else None
    if str(run.state) == "queued":
        return GenerationWait("the scheduler to start the run", run.queued_at, pool, executor)
    state = str(task.state) if task and task.state else None
    if task is None or state in (None, "scheduled", "up_for_retry"):
        since = (task.scheduled_dttm if task else None) or run.start_date
        return GenerationWait(
            f"the scheduler to queue the task (pool {pool or 'default_pool'})", since, pool, executor
        )
    if state == "queued":
        return GenerationWait(
            f"a worker of the {executor} to pick up the task", task.queued_dttm, pool, executor
        )
    return GenerationWait("nothing: the agents are running in a worker", task.start_date, pool, executor)
