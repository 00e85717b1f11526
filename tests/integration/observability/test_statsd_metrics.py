"""The package's metrics reach a real StatsD listener through Airflow's Stats during real runs:
a generation (offline planner, and scripted models), a transfer, a quality check, a deploy.

Stats is configured only through Airflow's `[metrics]` options (environment), in a process where
Airflow has not initialised it (as in the `ai-etl` CLI): the package does that from the config.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk import DAG
from airflow.sdk.exceptions import AirflowException

from airflow_ai_etl.agents.orchestrator import generate
from airflow_ai_etl.catalog.connections import ConnectionInfo
from airflow_ai_etl.deploy import DeployError, deploy_spec
from airflow_ai_etl.deploy.importcheck import check_dag_source
from airflow_ai_etl.observability import metrics
from airflow_ai_etl.operators import TransferOperator
from airflow_ai_etl.operators.quality import RowCountChangeOperator
from airflow_ai_etl.spec import parse_spec
from airflow_ai_etl.validation import ValidationContext
from tests.support.scripted_generation import generate_with, price_scripted_model, scripted_planner
from tests.support.statsd import StatsdListener
from tests.unit.agents.offline.conftest import TODAY, shop_catalog, validation_context, warehouse_catalog
from tests.unit.deploy.conftest import SHOP_CATALOG, broken_source, spec_data

pytestmark = pytest.mark.integration

REQUEST = "every night at 2 copy the orders into the warehouse"


def test_an_offline_generation_reports_its_outcome_duration_and_findings(statsd: StatsdListener) -> None:
    catalogs = [shop_catalog(), warehouse_catalog()]
    result = generate(REQUEST, catalogs, offline=True, today=TODAY, context=validation_context(catalogs))
    assert result.ok, result.reason

    [request] = statsd.named("ai_etl.generation.requests")
    assert (request.type, request.value, request.tags) == ("c", 1, {"outcome": "ready", "planner": "offline"})
    [duration] = statsd.named("ai_etl.generation.duration")
    assert duration.type == "ms" and duration.value > 0 and duration.tags == {"outcome": "ready"}
    assert statsd.named("ai_etl.llm.calls") == []  # the offline planner asks no model
    findings = [
        (line.tags["code"], line.tags["severity"]) for line in statsd.named("ai_etl.generation.findings")
    ]
    assert findings == [(f.code, f.severity.value) for f in result.report.findings]


def test_model_calls_report_tokens_and_cost_by_agent_and_model(
    statsd: StatsdListener, monkeypatch: pytest.MonkeyPatch
) -> None:
    price_scripted_model(monkeypatch)
    result = generate_with(scripted_planner(), REQUEST)
    [usage] = [u for u in result.usage if u.agent == "planner"]
    assert usage.requests >= 1

    calls = statsd.named("ai_etl.llm.calls")
    assert {tuple(sorted(c.tags.items())) for c in calls} == {
        (("agent", "planner"), ("cache", "none"), ("model", "function_scripted"), ("outcome", "ok"))
    }
    tokens = {line.tags["direction"]: line.value for line in statsd.named("ai_etl.llm.tokens")}
    assert tokens == {"input": usage.input_tokens, "output": usage.output_tokens}
    [cost] = statsd.named("ai_etl.llm.cost")
    assert usage.cost_usd is not None and cost.value == pytest.approx(usage.cost_usd)
    assert cost.tags == {"agent": "planner", "model": "function_scripted"}
    [request] = statsd.named("ai_etl.generation.requests")
    assert request.tags == {"outcome": "ready" if result.ok else "failed", "planner": "model"}


def _sqlite(path: Path, script: str, conn_id: str, airflow_conn: Callable[..., None]) -> Path:
    with sqlite3.connect(path) as db:
        db.executescript(script)
    db.close()
    airflow_conn(conn_id, conn_type="sqlite", host=str(path))
    return path


def test_a_transfer_reports_rows_rate_and_duration_under_its_dag_and_task(
    statsd: StatsdListener, tmp_path: Path, airflow_conn: Callable[..., None]
) -> None:
    rows = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40) "
    _sqlite(
        tmp_path / "src.db",
        f"CREATE TABLE t (id INTEGER, v TEXT); {rows} INSERT INTO t SELECT i, 'x' FROM n;",
        "src",
        airflow_conn,
    )
    _sqlite(tmp_path / "dst.db", "CREATE TABLE t (id INTEGER, v TEXT);", "dst", airflow_conn)
    with DAG("metrics_transfer", schedule=None, start_date=dt.datetime(2026, 1, 1)):
        operator = TransferOperator(
            task_id="copy", source_conn_id="src", target_conn_id="dst", target_table="t", source_table="t"
        )
    assert operator.execute({"run_id": "manual__1"})["rows"] == 40  # type: ignore[arg-type]

    where = {"dag_id": "metrics_transfer", "task_id": "copy", "kind": "transfer"}
    [run] = statsd.named("ai_etl.task.runs")
    assert run.tags == {**where, "outcome": "success"}
    [moved] = statsd.named("ai_etl.task.rows")
    assert (moved.type, moved.value, moved.tags) == ("c", 40, where)
    [rate] = statsd.named("ai_etl.task.rows_per_second")
    assert rate.type == "g" and rate.value > 0
    assert statsd.named("ai_etl.task.bytes") == []  # the DB-API path does not see bytes


def test_a_row_count_drop_reports_a_failed_check_and_an_alert(
    statsd: StatsdListener, tmp_path: Path, airflow_conn: Callable[..., None]
) -> None:
    db = _sqlite(
        tmp_path / "w.db",
        "CREATE TABLE orders (id INTEGER); INSERT INTO orders VALUES (1), (2), (3), (4);",
        "w",
        airflow_conn,
    )

    class Memory:
        entries: dict[str, list[dict[str, Any]]] = {}

        def load(self, key: str) -> list[dict[str, Any]]:
            return self.entries.get(key, [])

        def save(self, key: str, entries: list[dict[str, Any]]) -> None:
            self.entries[key] = entries

    with DAG("metrics_quality", schedule=None, start_date=dt.datetime(2026, 1, 1)):
        check = RowCountChangeOperator(
            task_id="volume", conn_id="w", table="orders", max_drop_pct=50, history=Memory()
        )
    check.execute({"run_id": "r1"})  # type: ignore[arg-type]
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM orders WHERE id > 1")
    conn.close()
    with pytest.raises(AirflowException, match="dropped by 75"):
        check.execute({"run_id": "r2"})  # type: ignore[arg-type]

    outcomes = [line.tags["outcome"] for line in statsd.named("ai_etl.quality.checks")]
    assert outcomes == ["passed", "failed"]
    [alert] = statsd.named("ai_etl.quality.row_count_alerts")
    assert alert.tags == {"dag_id": "metrics_quality", "table": "orders", "direction": "drop"}


def test_deploys_refusals_and_import_check_failures_are_counted(
    statsd: StatsdListener, tmp_path: Path
) -> None:
    context = ValidationContext(
        connections={"shop": ConnectionInfo(conn_id="shop", conn_type="sqlite", dialect="sqlite")},
        catalogs={"shop": SHOP_CATALOG},
    )
    deploy_spec(parse_spec(spec_data()), dags_folder=tmp_path, context=context)
    deploy_spec(parse_spec(spec_data()), dags_folder=tmp_path, context=context)
    with pytest.raises(DeployError):
        deploy_spec(parse_spec(spec_data(conn_id="nowhere")), dags_folder=tmp_path, context=context)
    assert not check_dag_source(broken_source("broken"), dag_id="broken").ok

    outcomes = [
        (line.tags["action"], line.tags["outcome"], line.tags["target"])
        for line in statsd.named("ai_etl.deploys")
    ]
    assert outcomes == [
        ("deploy", "published", "local"),
        ("deploy", "unchanged", "local"),
        ("deploy", "refused", "local"),
    ]
    assert [line.value for line in statsd.named("ai_etl.deploy.import_check_failures")] == [1]


def test_a_dead_statsd_port_costs_the_caller_nothing(
    monkeypatch: pytest.MonkeyPatch, statsd: StatsdListener
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_PORT", str(dead_port))
    started = time.perf_counter()
    for _ in range(200):
        metrics.deploy_finished(action="deploy", outcome="published", target="local")
    # UDP to a closed port: no wait, no error (the ICMP refusal is ignored by the client).
    assert time.perf_counter() - started < 1.0
    assert metrics.undelivered() == {}


def test_a_failing_backend_is_counted_and_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from airflow.sdk._shared.observability.metrics import stats as shared

    class Broken:
        def incr(self, *args: object, **kwargs: object) -> None:
            raise OSError("the metrics backend is gone")

    monkeypatch.setattr(shared, "_factory", Broken)
    monkeypatch.setattr(shared, "_backend", Broken())
    monkeypatch.setattr(metrics, "_undelivered", type(metrics._undelivered)())
    with caplog.at_level(logging.WARNING, logger=metrics.__name__):
        for _ in range(3):
            metrics.import_check_failed()  # does not raise
    assert metrics.undelivered() == {"ai_etl.deploy.import_check_failures": 3}
    assert [r.getMessage().count("the metrics backend is gone") for r in caplog.records] == [1]


def test_a_repeated_generation_reports_the_cache_tier_that_answered(statsd: StatsdListener) -> None:
    planner = scripted_planner()
    for _ in range(2):
        generate_with(planner, REQUEST)
    caches = [line.tags["cache"] for line in statsd.named("ai_etl.llm.calls")]
    assert caches == ["none", "exact"]
    [hit] = statsd.named("ai_etl.llm.cache_hits")
    assert hit.tags == {"agent": "planner", "tier": "exact"}
    # The cached answer cost no tokens: only the first call's are counted.
    assert {line.tags["direction"] for line in statsd.named("ai_etl.llm.tokens")} == {"input", "output"}
    assert len(statsd.named("ai_etl.llm.tokens")) == 2
