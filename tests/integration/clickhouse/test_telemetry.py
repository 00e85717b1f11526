"""Telemetry in ClickHouse (chDB): real task runs and model calls become rows, written by the
background writer; `ai-etl telemetry` summarises them; a ClickHouse that is down or hangs costs
the caller nothing, and what was lost is counted and logged once."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from airflow.sdk import DAG

from airflow_ai_etl.hooks.clickhouse import ClickHouseHook
from airflow_ai_etl.observability import telemetry
from airflow_ai_etl.operators import TransferOperator
from tests.support.cli import CliResult, ai_etl  # noqa: F401  # the fixture
from tests.support.scripted_generation import generate_with, price_scripted_model, scripted_planner

pytestmark = pytest.mark.integration


@pytest.fixture
def telemetry_to(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], telemetry.TelemetryWriter]]:
    """Point `[ai_etl] telemetry_conn_id` at a connection; returns the process writer it builds."""

    def configure(conn_id: str) -> telemetry.TelemetryWriter:
        monkeypatch.setenv("AIRFLOW__AI_ETL__TELEMETRY_CONN_ID", conn_id)
        telemetry.process_writer.cache_clear()
        writer = telemetry.process_writer()
        assert writer is not None
        return writer

    yield configure
    telemetry.process_writer.cache_clear()


def _sqlite_pair(tmp_path: Path, airflow_conn: Callable[..., None]) -> None:
    """Connections `src` (three rows in `t`) and `dst` (an empty `t`)."""
    for name, script in {
        "src": "CREATE TABLE t (id INTEGER); INSERT INTO t VALUES (1), (2), (3);",
        "dst": "CREATE TABLE t (id INTEGER);",
    }.items():
        with sqlite3.connect(tmp_path / f"{name}.db") as db:
            db.executescript(script)
        db.close()
        airflow_conn(name, conn_type="sqlite", host=str(tmp_path / f"{name}.db"))


def _transfer(target_table: str) -> TransferOperator:
    with DAG("telemetry_dag", schedule=None, start_date=dt.datetime(2026, 1, 1)):
        return TransferOperator(
            task_id=f"copy_{target_table}",
            source_conn_id="src",
            target_conn_id="dst",
            target_table=target_table,
            source_table="t",
        )


def test_task_runs_and_model_calls_land_in_clickhouse_and_the_cli_sums_them(  # noqa: PLR0917
    ch_database: str,
    telemetry_to: Callable[[str], telemetry.TelemetryWriter],
    tmp_path: Path,
    airflow_conn: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
    ai_etl: Callable[..., CliResult],  # noqa: F811
) -> None:
    writer = telemetry_to("ch")
    _sqlite_pair(tmp_path, airflow_conn)
    _transfer("t").execute({"run_id": "manual__1"})  # type: ignore[arg-type]
    with pytest.raises(Exception, match="no_such_table"):
        _transfer("no_such_table").execute({"run_id": "manual__1"})  # type: ignore[arg-type]
    price_scripted_model(monkeypatch)
    result = generate_with(scripted_planner(), "copy the orders every night")
    assert writer.flush(30)
    assert writer.dropped() == {}

    hook = ClickHouseHook(clickhouse_conn_id="ch")
    runs = hook.get_records(
        "SELECT dag_id, task_id, run_id, kind, outcome, rows FROM ai_etl_task_runs ORDER BY task_id"
    )
    assert [tuple(r) for r in runs] == [
        ("telemetry_dag", "copy_no_such_table", "manual__1", "transfer", "failed", 0),
        ("telemetry_dag", "copy_t", "manual__1", "transfer", "success", 3),
    ]
    [usage] = [u for u in result.usage if u.agent == "planner"]
    calls = hook.get_records(
        "SELECT dag_id, agent, model, outcome, cache_tier, sum(input_tokens), sum(output_tokens),"
        " sum(cost_usd) FROM ai_etl_llm_calls GROUP BY ALL"
    )
    assert [tuple(c[:7]) for c in calls] == [
        (
            "orders_nightly",
            "planner",
            "function:scripted",
            "ok",
            "none",
            usage.input_tokens,
            usage.output_tokens,
        )
    ]
    assert usage.cost_usd is not None and calls[0][7] == pytest.approx(usage.cost_usd)

    shown = ai_etl("telemetry")
    assert shown.returncode == 0, shown.stderr
    assert "orders_nightly" in shown.stdout and f"{usage.cost_usd:.4f}" in shown.stdout
    assert "telemetry_dag.copy_t" in shown.stdout and "telemetry_dag.copy_no_such_table" in shown.stdout
    data = json.loads(ai_etl("telemetry", "--json", "--limit", "1").stdout)
    assert [c["dag_id"] for c in data["pipeline_costs"]] == ["orders_nightly"]
    assert len(data["slowest_steps"]) == 1


def _dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_clickhouse_that_is_down_costs_nothing_and_is_counted_and_logged_once(
    telemetry_to: Callable[[str], telemetry.TelemetryWriter],
    airflow_conn: Callable[..., None],
    caplog: pytest.LogCaptureFixture,
    ai_etl: Callable[..., CliResult],  # noqa: F811
) -> None:
    airflow_conn("ch_down", conn_type="clickhouse", host="127.0.0.1", port=_dead_port())
    writer = telemetry_to("ch_down")
    row = telemetry.TaskRunRow("d", "t", "r", "transfer", "success", 1, None, 0.1)
    with caplog.at_level(logging.WARNING, logger=telemetry.__name__):
        started = time.perf_counter()
        for _ in range(50):
            telemetry.record(row)
        spent = time.perf_counter() - started
        writer.flush(10)
        for _ in range(50):  # ClickHouse failed: dropped at once, not queued behind it
            telemetry.record(row)
    assert spent < 0.5  # 50 rows queued: no connection attempt on the caller's side
    assert writer.dropped() == {"ai_etl_task_runs": 100}
    assert len([r for r in caplog.records if "telemetry rows dropped" in r.getMessage()]) == 1

    refused = ai_etl("telemetry")
    assert refused.returncode == 1
    assert "cannot read telemetry from connection 'ch_down'" in refused.stderr


def test_a_hanging_clickhouse_never_blocks_the_caller() -> None:
    with socket.socket() as blackhole:
        blackhole.bind(("127.0.0.1", 0))
        blackhole.listen(8)  # connections complete in the backlog; nothing ever answers
        hook = ClickHouseHook(clickhouse_conn_id="blackhole")
        hook._connection = _connection(blackhole.getsockname()[1])
        writer = telemetry.TelemetryWriter(hook, queue_rows=5)
        row = telemetry.LlmCallRow("g", "d", "planner", "m", "ok", "none", 1, 1, None, 0.1)
        writer.record(row)
        time.sleep(telemetry.BATCH_WAIT_S + 0.5)  # the writer took that row and now waits on ClickHouse
        started = time.perf_counter()
        for _ in range(40):
            writer.record(row)
        assert time.perf_counter() - started < 0.5
        assert writer.dropped() == {"ai_etl_llm_calls": 35}  # the queue holds 5


def _connection(port: int) -> object:
    from airflow.sdk import Connection

    return Connection(conn_id="blackhole", conn_type="clickhouse", host="127.0.0.1", port=port)


def test_the_cli_says_when_telemetry_is_not_configured(
    monkeypatch: pytest.MonkeyPatch,
    ai_etl: Callable[..., CliResult],  # noqa: F811
) -> None:
    monkeypatch.delenv("AIRFLOW__AI_ETL__TELEMETRY_CONN_ID", raising=False)
    refused = ai_etl("telemetry")
    assert refused.returncode == 1 and "[ai_etl] telemetry_conn_id is not set" in refused.stderr
    assert ai_etl("telemetry", "--days", "0").returncode == 2
