"""The import check loads a DAG file with Airflow's DagBag in a child process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from airflow_ai_etl.deploy.importcheck import check_dag_file, check_dag_source

DAG_SOURCE = """
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG({dag_id!r}, start_date=pendulum.datetime(2026, 1, 1), schedule=None):
    EmptyOperator(task_id="noop")
"""


def test_valid_file_reports_its_dag_ids(tmp_path: Path) -> None:
    path = tmp_path / "good.py"
    path.write_text(DAG_SOURCE.format(dag_id="good"))
    check = check_dag_file(path)
    assert check.ok
    assert check.dag_ids == ["good"]
    assert check.errors == {}


def test_import_error_is_reported_with_airflows_message(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("import airflow\nimport no_such_module_for_ai_etl\n")
    check = check_dag_file(path)
    assert not check.ok
    assert "No module named 'no_such_module_for_ai_etl'" in check.errors["broken.py"]


def test_file_without_a_dag_fails(tmp_path: Path) -> None:
    path = tmp_path / "empty.py"
    path.write_text("x = 1\n")
    check = check_dag_file(path)
    assert not check.ok
    assert check.errors == {"empty.py": "the file imports but defines no DAG"}


def test_timeout_kills_the_child_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "slow.py"
    path.write_text("import time\ntime.sleep(600)\n")
    check = check_dag_file(path, timeout=1)
    assert not check.ok
    assert "did not finish within 1 s" in check.errors["slow.py"]


def test_source_must_define_exactly_the_expected_dag(tmp_path: Path) -> None:
    check = check_dag_source(DAG_SOURCE.format(dag_id="other"), dag_id="orders")
    assert not check.ok
    assert check.dag_ids == ["other"]
    assert "exactly the DAG 'orders', found 'other'" in check.errors["orders.py"]

    two = DAG_SOURCE.format(dag_id="orders") + DAG_SOURCE.format(dag_id="extra")
    check = check_dag_source(two, dag_id="orders")
    assert not check.ok
    assert "found 'extra', 'orders'" in check.errors["orders.py"]


def test_source_is_checked_outside_any_dags_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    probe = tmp_path / "where.txt"
    monkeypatch.setenv("AI_ETL_PROBE", str(probe))  # the child inherits the environment
    source = "import os\nopen(os.environ['AI_ETL_PROBE'], 'w').write(__file__)\n" + DAG_SOURCE.format(
        dag_id="orders"
    )
    check = check_dag_source(source, dag_id="orders")
    assert check.ok
    checked_at = Path(probe.read_text())
    assert checked_at.name == "orders.py"
    assert not checked_at.exists()  # the scratch copy is gone
    assert not checked_at.is_relative_to(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
