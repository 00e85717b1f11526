"""`ai-etl` as a user runs it: a subprocess, its exit code, stdout, and a stderr that names the problem."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_ai_etl.render.dagfile import GENERATED_MARKER
from tests.unit.deploy.conftest import make_shop_db, write_spec

AI_ETL = Path(sys.executable).parent / "ai-etl"


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A SQLite 'shop' connection defined for the child processes (they inherit the environment)."""
    db = make_shop_db(tmp_path / "shop.db")
    monkeypatch.setenv("AIRFLOW_CONN_SHOP", json.dumps({"conn_type": "sqlite", "host": str(db)}))
    return db


def run(*args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(AI_ETL), *args], capture_output=True, text=True, timeout=300, check=False, env=os.environ.copy()
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_help_is_cheap_and_imports_no_airflow() -> None:
    assert run("--help").returncode == 0
    probe = (
        "import sys, airflow_ai_etl.cli; print(sorted(m for m in sys.modules if m.startswith('airflow.')))"
    )
    imported = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert imported.stdout.strip() == "[]"


def test_spec_schema_prints_the_json_schema() -> None:
    proc = run("spec", "schema")
    assert proc.returncode == 0
    schema = json.loads(proc.stdout)
    assert schema["title"] == "PipelineSpec"
    assert "dag_id" in schema["properties"]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    for args in (("validate", str(missing)), ("render", str(missing)), ("deploy", str(missing))):
        proc = run(*args)
        assert proc.returncode == 2, args
        assert f"spec file not found: {missing}" in proc.stderr
    proc = run("deploy")
    assert proc.returncode == 2
    assert "SPEC" in proc.stderr


def test_validate_reports_spec_problems_naming_field_and_value(tmp_path: Path) -> None:
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("dag_id: [unclosed\n")
    proc = run("validate", str(bad_yaml))
    assert proc.returncode == 1
    assert "not valid YAML/JSON: line" in proc.stderr

    bad_field = write_spec(tmp_path / "spec.yaml", schedule="every day")
    proc = run("validate", str(bad_field))
    assert proc.returncode == 1
    assert "schedule" in proc.stderr
    assert "'every day'" in proc.stderr

    proc = run("validate", str(bad_field), "--json")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert [(f["code"], f["field"]) for f in report["findings"]] == [("spec.schedule", "schedule")]

    too_long = tmp_path / "long.yaml"
    step = "  - {id: s%d, kind: sql, conn_id: db, sql: 'INSERT INTO t SELECT 1'}\n"
    too_long.write_text(
        "dag_id: big\nstart_date: 2026-01-01\nsteps:\n" + "".join(step % i for i in range(501))
    )
    proc = run("validate", str(too_long))
    assert proc.returncode == 1
    assert "steps: a pipeline holds at most 500 steps, this one has 501" in proc.stderr


def test_validate_checks_connections_and_schemas(tmp_path: Path, shop: Path) -> None:
    proc = run("validate", str(write_spec(tmp_path / "ok.yaml")))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("valid")

    assert "schema.unknown" not in proc.stdout  # the shop's schema was read, not skipped

    missing_table = write_spec(
        tmp_path / "table.yaml", sql="INSERT INTO orders_copy SELECT * FROM no_such_table"
    )
    proc = run("validate", str(missing_table))
    assert proc.returncode == 1
    assert "no_such_table" in proc.stderr

    unknown = write_spec(tmp_path / "unknown.yaml", conn_id="warehouse")
    proc = run("validate", str(unknown))
    assert proc.returncode == 1
    assert "warehouse" in proc.stderr

    proc = run("validate", str(unknown), "--json")
    assert proc.returncode == 1
    findings = json.loads(proc.stdout)["findings"]
    assert any(f["severity"] == "error" and "warehouse" in f["message"] for f in findings)


def test_render_prints_or_writes_but_never_into_the_dags_folder(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec.yaml")
    proc = run("render", str(spec))
    assert proc.returncode == 0
    assert proc.stdout.startswith(GENERATED_MARKER)

    out = tmp_path / "orders_daily.py"
    assert run("render", str(spec), "-o", str(out)).returncode == 0
    assert out.read_text() == proc.stdout

    orphan = {"id": "orphan", "kind": "sql", "conn_id": "dwh", "sql": "SELECT 1", "depends_on": ["nowhere"]}
    proc = run("render", str(write_spec(tmp_path / "orphan.yaml", steps=[orphan])))
    assert proc.returncode == 1
    assert "'orphan' depends on 'nowhere'" in proc.stderr

    in_dags = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]) / "orders_daily.py"
    proc = run("render", str(spec), "-o", str(in_dags))
    assert proc.returncode == 1
    assert "inside the dags folder" in proc.stderr
    assert "ai-etl deploy" in proc.stderr
    assert not in_dags.exists()


def test_deploy_redeploy_and_rollback(tmp_path: Path, shop: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    proc = run("deploy", str(write_spec(tmp_path / "v1.yaml")), "--dags-folder", str(dags))
    assert proc.returncode == 0, proc.stderr
    assert "deployed version 1" in proc.stdout
    live = dags / "ai_etl" / "orders_daily.py"
    v1 = live.read_text()

    proc = run("deploy", str(write_spec(tmp_path / "v2.yaml", description="v2")), "--dags-folder", str(dags))
    assert proc.returncode == 0, proc.stderr
    proc = run("deploy", str(tmp_path / "v2.yaml"), "--dags-folder", str(dags), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)  # stdout is only the JSON, whatever Airflow logs
    assert (result["action"], result["version"], result["dag_id"]) == ("unchanged", 2, "orders_daily")
    assert result["path"] == str(live)

    proc = run("rollback", "orders_daily", "--dags-folder", str(dags))
    assert proc.returncode == 0, proc.stderr
    assert "rolled back to version 1" in proc.stdout
    assert live.read_text() == v1

    proc = run("rollback", "orders_daily", "--dags-folder", str(dags))
    assert proc.returncode == 1
    assert "no earlier one" in proc.stderr


def test_deploy_refusals_name_the_problem_and_write_nothing(tmp_path: Path, shop: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    proc = run(
        "deploy", str(write_spec(tmp_path / "bad.yaml", conn_id="warehouse")), "--dags-folder", str(dags)
    )
    assert proc.returncode == 1
    assert "failed validation" in proc.stderr
    assert "warehouse" in proc.stderr
    assert not (dags / "ai_etl" / "orders_daily.py").exists()

    proc = run("deploy", str(tmp_path / "bad.yaml"), "--dags-folder", str(dags), "--json")
    assert proc.returncode == 1
    failure = json.loads(proc.stdout)
    assert failure["ok"] is False
    assert any("warehouse" in f["message"] for f in failure["report"]["findings"])

    foreign = dags / "ai_etl" / "orders_daily.py"
    foreign.parent.mkdir(exist_ok=True)
    foreign.write_text("# someone's own DAG\n")
    proc = run("deploy", str(write_spec(tmp_path / "ok.yaml")), "--dags-folder", str(dags), "--force")
    assert proc.returncode == 1
    assert f"refusing to overwrite {foreign}" in proc.stderr
    assert foreign.read_text() == "# someone's own DAG\n"

    proc = run("deploy", str(tmp_path / "ok.yaml"), "--dags-folder", str(tmp_path / "missing"))
    assert proc.returncode == 1
    assert "does not exist" in proc.stderr

    proc = run("rollback", "ghost", "--dags-folder", str(dags))
    assert proc.returncode == 1
    assert "'ghost': it was never deployed" in proc.stderr


def test_catalog_prints_json_or_names_the_unknown_connection(shop: Path) -> None:
    proc = run("catalog", "shop")
    assert proc.returncode == 0, proc.stderr
    catalog = json.loads(proc.stdout)
    assert {t["name"] for t in catalog["tables"]} >= {"orders", "orders_copy"}

    proc = run("catalog", "nope")
    assert proc.returncode == 1
    assert "connection 'nope' is not defined in Airflow" in proc.stderr
