"""`ai-etl generate`: a request over real (SQLite) connections -> draft files, exit codes, deploy."""

from __future__ import annotations

import json
import runpy
import sqlite3
from pathlib import Path

import pytest
import yaml

from tests.unit.cli.test_cli import run

REQUEST = "every day at 2am copy new orders into the warehouse; order_id must be unique"


@pytest.fixture
def shop_and_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    create_shop_db = runpy.run_path(str(Path(__file__).parents[3] / "examples/demo/shop_db.py"))[
        "create_shop_db"
    ]
    create_shop_db(tmp_path / "shop.db")
    sqlite3.connect(tmp_path / "warehouse.db").close()
    for name in ("shop", "warehouse"):
        conn = {"conn_type": "sqlite", "host": str(tmp_path / f"{name}.db")}
        monkeypatch.setenv(f"AIRFLOW_CONN_{name.upper()}", json.dumps(conn))
    monkeypatch.delenv("AIRFLOW__AI_ETL__LLM_CONN_ID", raising=False)
    return tmp_path


def test_offline_generation_writes_a_valid_draft(shop_and_warehouse: Path) -> None:
    out = shop_and_warehouse / "drafts"
    proc = run("generate", REQUEST, "--conn", "shop", "--conn", "warehouse", "--offline", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "offline_planner" in proc.stderr  # progress, as it happens
    spec = yaml.safe_load((out / "orders_to_warehouse.yaml").read_text())
    assert spec["schedule"] == "0 2 * * *"
    transfer = next(s for s in spec["steps"] if s["kind"] == "transfer")
    assert (transfer["mode"], transfer["key"], transfer["watermark"]) == (
        "incremental",
        ["order_id"],
        "updated_at",
    )
    source = (out / "orders_to_warehouse.py").read_text()
    assert source.startswith("# airflow-ai-etl: generated DAG file")
    compile(source, "orders_to_warehouse.py", "exec")
    assert "valid" in proc.stdout


def test_generate_and_deploy(shop_and_warehouse: Path) -> None:
    dags = shop_and_warehouse / "dags"
    dags.mkdir()
    proc = run(
        "generate", REQUEST, "--conn", "shop", "--conn", "warehouse", "--offline",
        "--out", str(shop_and_warehouse), "--deploy", "--dags-folder", str(dags), "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["ok"] is True and result["spec"]["dag_id"] == "orders_to_warehouse"
    assert (dags / "ai_etl" / "orders_to_warehouse.py").is_file()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["   ", "--conn", "shop"], 2, "REQUEST is empty"),
        (["copy orders", "--conn", "nowhere"], 1, "--conn nowhere: connection 'nowhere' is not defined"),
        (["make it nice and fast", "--conn", "shop", "--conn", "warehouse"], 1, "no valid pipeline"),
        (
            ["copy the unicorns table into the warehouse", "--conn", "shop", "--conn", "warehouse"],
            1,
            "unicorns",
        ),
        (
            ["copy orders", "--conn", "shop", "--conn", "warehouse", "--llm-conn-id", "no_such_llm"],
            1,
            "LLM connection 'no_such_llm'",
        ),
    ],
)
def test_bad_requests_fail_clearly_and_deploy_nothing(
    shop_and_warehouse: Path, args: list[str], code: int, message: str
) -> None:
    dags = shop_and_warehouse / "dags"
    proc = run("generate", *args, "--deploy", "--dags-folder", str(dags), "--out", str(shop_and_warehouse))
    assert proc.returncode == code, proc.stderr
    assert message in proc.stderr
    assert not dags.exists()
