"""`install_system_dag`: import-checked, atomic, idempotent, and never replaces a file that is not ours."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_ai_etl.deploy import DeployError
from airflow_ai_etl.deploy.system_dag import install_system_dag, system_dag_source


def test_install_is_idempotent_and_refuses_foreign_files(tmp_path: Path) -> None:
    first = install_system_dag(tmp_path)
    assert first.changed and first.path == tmp_path / "ai_etl" / "ai_etl_generate.py"
    assert first.path.read_text() == system_dag_source()
    assert not install_system_dag(tmp_path).changed

    first.path.write_text("# someone else's DAG\n")
    with pytest.raises(DeployError, match="not airflow-ai-etl's system DAG"):
        install_system_dag(tmp_path)
    assert first.path.read_text() == "# someone else's DAG\n"


def test_install_creates_a_missing_dags_folder(tmp_path: Path) -> None:
    fresh = tmp_path / "airflow-home" / "dags"  # a fresh AIRFLOW_HOME has none yet
    installed = install_system_dag(fresh)
    assert installed.changed and installed.path == fresh / "ai_etl" / "ai_etl_generate.py"
