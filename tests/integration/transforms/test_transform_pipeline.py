"""A python_transform pipeline end to end without a scheduler: validated, refused without code
approval, deployed with its module file (hashed, ignored by the dag-processor), then run by the
operator over SQLite tables, and refused when the module file was changed after approval."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from airflow_ai_etl.deploy import DeployError, deploy_spec
from airflow_ai_etl.spec.models import PipelineSpec

CODE = """import json

import pyarrow as pa


def transform(batch):
    payloads = [json.loads(p) for p in batch.column("payload").to_pylist()]
    amounts = [p.get("amount") for p in payloads]
    return pa.RecordBatch.from_arrays([batch.column("id"), pa.array(amounts, pa.float64())], ["id", "amount"])
"""


def spec(code: str = CODE) -> PipelineSpec:
    return PipelineSpec.model_validate(
        {
            "dag_id": "event_amounts",
            "start_date": "2026-01-01",
            "steps": [
                {
                    "id": "parse_amounts",
                    "kind": "python_transform",
                    "source": {"conn_id": "shop_sqlite", "sql": "SELECT id, payload FROM events"},
                    "target": {"conn_id": "shop_sqlite", "table": "amounts"},
                    "code": code,
                    "examples": [
                        {
                            "input": [{"id": 1, "payload": '{"amount": 2}'}],
                            "expected": [{"id": 1, "amount": 2.0}],
                        }
                    ],
                }
            ],
        }
    )


@pytest.fixture
def shop(tmp_path: Path, airflow_conn: Callable[..., None]) -> Path:
    path = tmp_path / "shop.db"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, payload TEXT)")
        db.execute("CREATE TABLE amounts (id INTEGER, amount REAL)")
        db.executemany(
            "INSERT INTO events VALUES (?, ?)", [(1, '{"amount": 2.5}'), (2, '{"amount": 10}'), (3, "{}")]
        )
    airflow_conn("shop_sqlite", f"sqlite://{path}")
    return path


def test_code_findings_block_the_deploy(shop: Path, tmp_path: Path) -> None:
    hostile = "import os\n\ndef transform(batch):\n    return os.system('id')\n"
    with pytest.raises(DeployError) as refused:
        deploy_spec(spec(hostile), dags_folder=tmp_path, approve_code=True, import_timeout=60)
    assert refused.value.report is not None
    codes = {(f.code, f.field) for f in refused.value.report.errors}
    assert ("python_transform.code", "code") in codes
    assert any("line 1: import os" in f.message for f in refused.value.report.errors)


def test_deployed_only_with_approval_then_run_in_the_sandbox(shop: Path, tmp_path: Path) -> None:
    from airflow.sdk import DAG

    from airflow_ai_etl.operators.python_transform import PythonTransformOperator, TransformError

    dags = tmp_path / "dags"
    dags.mkdir()
    with pytest.raises(DeployError, match="approve"):
        deploy_spec(spec(), dags_folder=dags, import_timeout=60)
    assert not (dags / "ai_etl" / "event_amounts.py").exists()

    deployment = deploy_spec(spec(), dags_folder=dags, approve_code=True, import_timeout=60)
    dag_file = deployment.path
    (module,) = (dags / "ai_etl" / "transforms").iterdir()
    assert module.name.startswith("event_amounts.parse_amounts.")
    assert "transforms/" in (dags / "ai_etl" / ".airflowignore").read_text().splitlines()
    source = dag_file.read_text()
    assert f'code_file="transforms/{module.name}"' in source
    assert "import json" not in source  # the DAG file names the code, never holds or imports it

    sha = source.split('code_sha256="', 1)[1].split('"', 1)[0]
    with DAG("event_amounts", schedule=None) as dag:
        task = PythonTransformOperator(
            task_id="parse_amounts",
            source_conn_id="shop_sqlite",
            source_sql="SELECT id, payload FROM events",
            target_conn_id="shop_sqlite",
            target_table="amounts",
            code_file=f"transforms/{module.name}",
            code_sha256=sha,
            batch_size=2,
        )
    dag.fileloc = str(dag_file)
    result = task.execute(context={})  # type: ignore[arg-type]
    assert (result["rows_in"], result["rows"]) == (3, 3)
    with closing(sqlite3.connect(shop)) as db:
        rows = db.execute("SELECT id, amount FROM amounts ORDER BY id").fetchall()
    assert rows == [(1, 2.5), (2, 10.0), (3, None)]

    module.write_text(module.read_text() + "\n# changed after approval\n")
    with pytest.raises(TransformError, match="not the approved code"):
        task.execute(context={})  # type: ignore[arg-type]
