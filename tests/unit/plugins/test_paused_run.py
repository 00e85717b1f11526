"""The test-run child: a run it could not start says why (the page shows it), and its run id is the
one `DAG.test()` gives, so the api-server can watch the run before it exists."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from airflow_ai_etl.plugins import paused_run


@pytest.fixture(autouse=True)
def log_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AIRFLOW__LOGGING__BASE_LOG_FOLDER", str(tmp_path))
    return tmp_path


def test_a_child_that_cannot_find_its_dag_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert (
        paused_run.main(["no_such_dag", when.isoformat(), "no-such-bundle", "/nowhere/no_such_dag.py"]) == 1
    )
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith(paused_run.FAILED_MARK) and "no-such-bundle" in last


def test_start_failure_reads_the_childs_last_line(log_folder: Path) -> None:
    run_id = paused_run.run_id_for(dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
    assert run_id == "manual__2026-01-02T03:04:05+00:00"
    assert (
        not paused_run.was_launched("orders", run_id) and paused_run.start_failure("orders", run_id) is None
    )
    log = paused_run.log_path("orders", run_id)
    assert log.is_relative_to(log_folder) and ":" not in log.name
    log.parent.mkdir(parents=True)
    log.write_text("starting\n")
    assert paused_run.was_launched("orders", run_id) and paused_run.start_failure("orders", run_id) is None
    log.write_text(f"starting\n{paused_run.FAILED_MARK} AirflowException: Dag 'orders' could not be found\n")
    assert paused_run.start_failure("orders", run_id) == "AirflowException: Dag 'orders' could not be found"
