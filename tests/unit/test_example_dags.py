"""The top-level dags/ examples import cleanly with Airflow's own DagBag, one DAG per file."""

from __future__ import annotations

from pathlib import Path

from airflow_ai_etl.deploy.importcheck import check_dag_file

EXAMPLES = Path(__file__).resolve().parents[2] / "dags"


def test_every_example_dag_imports_and_is_named_after_its_file() -> None:
    files = sorted(EXAMPLES.glob("*.py"))
    assert len(files) >= 6
    check = check_dag_file(EXAMPLES, timeout=300)
    assert check.errors == {}
    assert sorted(check.dag_ids) == sorted(f"example_{path.stem}" for path in files)
