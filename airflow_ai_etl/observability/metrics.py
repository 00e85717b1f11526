"""Every metric the package emits, through Airflow's `Stats`, one typed function per event.

Airflow's own `[metrics]` configuration decides where they go (StatsD, Datadog or OpenTelemetry),
so what a team already runs for Airflow sees these too. Names carry no variables: the varying
parts are tags (`[metrics] statsd_influxdb_enabled = True` puts them on StatsD lines, which
statsd-exporter turns into Prometheus labels; OpenTelemetry keeps them as attributes). `METRICS`
is the registry the README table, the statsd-exporter mapping and the dashboards are checked
against.

Emitting never fails or slows the caller: StatsD is a UDP datagram, OpenTelemetry exports from
its own thread, and anything a backend raises is counted in `undelivered()` and logged once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Literal

log = logging.getLogger(__name__)

Kind = Literal["counter", "gauge", "timer"]

#: Longest tag value sent; longer ones (a long dag_id) are cut, not dropped.
MAX_TAG_CHARS = 100


@dataclass(frozen=True)
class Metric:
    """One metric: its name after Airflow's `[metrics] statsd_prefix`, its type, its tags."""

    name: str
    kind: Kind
    tags: tuple[str, ...]
    description: str
    unit: str = ""


_RUN_TAGS = ("dag_id", "task_id", "kind")

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        # -- generation --------------------------------------------------------------------------
        Metric(
            "ai_etl.generation.requests",
            "counter",
            ("outcome", "planner"),
            "Generations finished; outcome ready, fallback (offline planner because the model was "
            "unavailable) or failed; planner model or offline.",
        ),
        Metric("ai_etl.generation.duration", "timer", ("outcome",), "Wall time of one generation.", "ms"),
        Metric(
            "ai_etl.generation.repair_rounds",
            "counter",
            ("outcome",),
            "Validation-repair rounds the reflector ran (divide by requests for the mean).",
        ),
        Metric(
            "ai_etl.generation.findings",
            "counter",
            ("code", "severity"),
            "Validation findings of each QA pass during generation, by finding code.",
        ),
        Metric(
            "ai_etl.llm.calls",
            "counter",
            ("agent", "model", "outcome", "cache"),
            "Agent calls to a model; outcome ok or failed; cache none, exact or intent (answered "
            "by that tier of the LLM cache instead of the model).",
        ),
        Metric(
            "ai_etl.llm.tokens",
            "counter",
            ("agent", "model", "direction"),
            "Model tokens spent; direction input or output.",
        ),
        Metric("ai_etl.llm.cost", "counter", ("agent", "model"), "Model cost of priced calls.", "USD"),
        Metric("ai_etl.llm.latency", "timer", ("agent", "model"), "Wall time of one agent call.", "ms"),
        Metric(
            "ai_etl.llm.cache_hits",
            "counter",
            ("agent", "tier"),
            "Agent calls the LLM cache answered; tier exact or intent.",
        ),
        Metric(
            "ai_etl.budget.exceeded",
            "counter",
            ("subject", "limit"),
            "Requests refused by a budget; subject user or model; limit requests_per_minute, "
            "tokens_per_day or cost_per_day.",
        ),
        # -- deploys -----------------------------------------------------------------------------
        Metric(
            "ai_etl.deploys",
            "counter",
            ("action", "outcome", "target"),
            "Deploys and rollbacks; action deploy or rollback; outcome published, unchanged or "
            "refused; target local or git.",
        ),
        Metric(
            "ai_etl.deploy.import_check_failures",
            "counter",
            (),
            "DAG files that failed Airflow's import check before publication.",
        ),
        # -- runtime -----------------------------------------------------------------------------
        Metric(
            "ai_etl.task.runs",
            "counter",
            (*_RUN_TAGS, "outcome"),
            "Runs of the package's data-moving tasks; kind transfer, kafka_ingest, file_load, "
            "file_export; outcome success or failed.",
        ),
        Metric("ai_etl.task.duration", "timer", (*_RUN_TAGS, "outcome"), "Wall time of one run.", "ms"),
        Metric("ai_etl.task.rows", "counter", _RUN_TAGS, "Rows a run moved."),
        Metric(
            "ai_etl.task.bytes",
            "counter",
            _RUN_TAGS,
            "Bytes a run moved, where the path knows them (COPY, Arrow, files, Kafka).",
            "bytes",
        ),
        Metric("ai_etl.task.rows_per_second", "gauge", _RUN_TAGS, "Rows per second of the last run."),
        Metric(
            "ai_etl.kafka.messages",
            "counter",
            ("dag_id", "task_id", "topic", "outcome"),
            "Kafka messages consumed; outcome loaded or dead_letter.",
        ),
        Metric(
            "ai_etl.kafka.lag",
            "gauge",
            ("dag_id", "task_id", "topic", "partition"),
            "Messages left in a partition after a batch (high watermark minus committed offset).",
        ),
        Metric(
            "ai_etl.quality.checks",
            "counter",
            ("dag_id", "task_id", "check", "outcome"),
            "Quality checks run by the package's operators; check row_count_change or freshness; "
            "outcome passed or failed.",
        ),
        Metric(
            "ai_etl.quality.row_count_alerts",
            "counter",
            ("dag_id", "table", "direction"),
            "Row-count-change checks that failed; direction drop or growth.",
        ),
        # -- lifecycle events ----------------------------------------------------------------------
        Metric(
            "ai_etl.events.dropped",
            "counter",
            (),
            "Lifecycle events not queued for Kafka: the queue was full (broker down or slow) or the "
            "event did not encode.",
        ),
        Metric(
            "ai_etl.events.failed",
            "counter",
            (),
            "Lifecycle events queued but not delivered: no producer, the producer refused them, or "
            "Kafka did not acknowledge them in time.",
        ),
    )
}

_undelivered: Counter[str] = Counter()
_lock = threading.Lock()
#: Processes (by pid: a forked child checks again) in which Stats was found ready.
_ready_in: set[int] = set()


def undelivered() -> dict[str, int]:
    """Emissions a backend refused in this process, by metric name."""
    with _lock:
        return dict(_undelivered)


def _stats() -> ModuleType:
    """The Task SDK's Stats, initialised from Airflow's `[metrics]` config when Airflow has not.

    Task processes have it initialised by the task runner; the api-server initialises only the
    core copy, and the `ai-etl` CLI neither, so without this their metrics would be dropped.
    Re-initialising what the task runner set up is avoided: it would open a second client.
    """
    from airflow.sdk.observability import stats

    if os.getpid() not in _ready_in:
        # The public module re-exports functions of this one; `_factory` is None until some
        # component called initialize() in this process.
        from airflow.sdk._shared.observability.metrics import stats as shared

        if getattr(shared, "_factory", None) is None:
            from airflow.sdk.configuration import conf
            from airflow.sdk.observability.metrics import stats_utils

            stats.initialize(
                factory=stats_utils.get_stats_factory(),
                export_legacy_names=conf.getboolean("metrics", "legacy_names_on", fallback=False),
            )
        _ready_in.add(os.getpid())
    return stats


def warm_up() -> None:
    """Resolve (and if need be initialise) Stats now, so a later emission imports nothing."""
    try:
        _stats()
    except Exception as exc:  # the first emission counts and logs it
        log.debug("Stats not ready yet: %s", exc)


def _tag(value: object) -> str:
    """A tag value StatsD and the validators accept: Airflow drops a whole line over one bad char."""
    from airflow.sdk.observability.stats import normalize_name_for_stats

    text = str(value) if value not in (None, "") else "none"
    return normalize_name_for_stats(text, log_warning=False)[:MAX_TAG_CHARS]


def _emit(name: str, value: float | dt.timedelta, tags: Mapping[str, object]) -> None:
    metric = METRICS[name]
    try:
        stats = _stats()
        clean = {key: _tag(tags[key]) for key in metric.tags}
        if metric.kind == "counter":
            stats.incr(name, value, tags=clean)  # a float for costs: StatsD and OTel take it
        elif metric.kind == "gauge":
            stats.gauge(name, value, tags=clean)
        else:
            stats.timing(name, value, tags=clean)
    except Exception as exc:  # a broken backend must never reach the caller
        with _lock:
            _undelivered[name] += 1
            first = sum(_undelivered.values()) == 1
        if first:
            log.warning("metrics not delivered (counted, logged only once): %s: %s", name, exc)


# -- generation ---------------------------------------------------------------------------------


def generation_finished(*, outcome: str, planner: str, duration_s: float, repair_rounds: int) -> None:
    """A generation ended: `outcome` ready, fallback or failed; `planner` model or offline."""
    _emit("ai_etl.generation.requests", 1, {"outcome": outcome, "planner": planner})
    _emit("ai_etl.generation.duration", dt.timedelta(seconds=duration_s), {"outcome": outcome})
    if repair_rounds:
        _emit("ai_etl.generation.repair_rounds", repair_rounds, {"outcome": outcome})


def validation_finding(*, code: str, severity: str) -> None:
    _emit("ai_etl.generation.findings", 1, {"code": code, "severity": severity})


@dataclass(frozen=True)
class LlmCall:
    """One agent call: to the model, or answered by the LLM cache (`cache_tier` exact or intent)."""

    agent: str
    model: str
    ok: bool
    cache_tier: str | None
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    duration_s: float


def llm_call(call: LlmCall) -> None:
    agent, model = call.agent, call.model
    outcome = "ok" if call.ok else "failed"
    # `cache` None is sent as "none": a call the model answered.
    tags = {"agent": agent, "model": model, "outcome": outcome, "cache": call.cache_tier}
    _emit("ai_etl.llm.calls", 1, tags)
    _emit("ai_etl.llm.latency", dt.timedelta(seconds=call.duration_s), {"agent": agent, "model": model})
    if call.cache_tier is not None:
        _emit("ai_etl.llm.cache_hits", 1, {"agent": agent, "tier": call.cache_tier})
    for direction, tokens in (("input", call.input_tokens), ("output", call.output_tokens)):
        if tokens:
            _emit("ai_etl.llm.tokens", tokens, {"agent": agent, "model": model, "direction": direction})
    if call.cost_usd:
        _emit("ai_etl.llm.cost", call.cost_usd, {"agent": agent, "model": model})


def budget_exceeded(*, subject: str, limit: str) -> None:
    _emit("ai_etl.budget.exceeded", 1, {"subject": subject, "limit": limit})


# -- deploys ------------------------------------------------------------------------------------


def deploy_finished(*, action: str, outcome: str, target: str) -> None:
    """A deploy or rollback: `outcome` published, unchanged or refused."""
    _emit("ai_etl.deploys", 1, {"action": action, "outcome": outcome, "target": target})


def import_check_failed() -> None:
    _emit("ai_etl.deploy.import_check_failures", 1, {})


# -- runtime ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskRun:
    """What one run of a data-moving task did; `bytes` is None where the path does not know it."""

    dag_id: str
    task_id: str
    kind: str
    outcome: str
    duration_s: float
    rows: int = 0
    bytes: int | None = None


def task_finished(run: TaskRun) -> None:
    tags = {"dag_id": run.dag_id, "task_id": run.task_id, "kind": run.kind}
    _emit("ai_etl.task.runs", 1, {**tags, "outcome": run.outcome})
    _emit("ai_etl.task.duration", dt.timedelta(seconds=run.duration_s), {**tags, "outcome": run.outcome})
    if run.outcome != "success":
        return
    _emit("ai_etl.task.rows", run.rows, tags)
    if run.bytes is not None:
        _emit("ai_etl.task.bytes", run.bytes, tags)
    if run.duration_s > 0:
        _emit("ai_etl.task.rows_per_second", run.rows / run.duration_s, tags)


def kafka_batch(
    *, dag_id: str, task_id: str, topic: str, loaded: int, dead_letters: int, lag: Mapping[int, int]
) -> None:
    """A Kafka ingest batch: messages loaded and dead-lettered, and each partition's lag after it."""
    base = {"dag_id": dag_id, "task_id": task_id, "topic": topic}
    _emit("ai_etl.kafka.messages", loaded, {**base, "outcome": "loaded"})
    if dead_letters:
        _emit("ai_etl.kafka.messages", dead_letters, {**base, "outcome": "dead_letter"})
    for partition, behind in sorted(lag.items()):
        _emit("ai_etl.kafka.lag", behind, {**base, "partition": partition})


def quality_check(*, dag_id: str, task_id: str, check: str, passed: bool) -> None:
    outcome = "passed" if passed else "failed"
    tags = {"dag_id": dag_id, "task_id": task_id, "check": check, "outcome": outcome}
    _emit("ai_etl.quality.checks", 1, tags)


def row_count_alert(*, dag_id: str, table: str, direction: str) -> None:
    _emit("ai_etl.quality.row_count_alerts", 1, {"dag_id": dag_id, "table": table, "direction": direction})


# -- lifecycle events ---------------------------------------------------------------------------


def events_dropped(count: int) -> None:
    """Lifecycle events that never reached the publisher's queue."""
    _emit("ai_etl.events.dropped", count, {})


def events_failed(count: int) -> None:
    """Lifecycle events the Kafka producer did not deliver."""
    _emit("ai_etl.events.failed", count, {})
