"""Parse requests land in a real, migrated Airflow metadata DB (SQLite), or the deploy says why not.

Airflow reads its configuration once per process, so every deploy here runs `ai-etl` in a child
process with its own AIRFLOW_HOME, database and bundle configuration.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.support.airflow_home import migrated_sqlite_home, run_installed, sqlite_airflow_env
from tests.unit.deploy.conftest import make_shop_db, write_spec


@pytest.fixture(scope="module")
def migrated_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_sqlite_home(tmp_path_factory.mktemp("airflow-home"))


def _env(home: Path, **overrides: str) -> dict[str, str]:
    shop = json.dumps({"conn_type": "sqlite", "host": str(home / "shop.db")})
    return sqlite_airflow_env(home, AIRFLOW_CONN_SHOP=shop, **overrides)


def _deploy(home: Path, spec: Path, *extra: str, **env: str) -> dict[str, object]:
    make_shop_db(home / "shop.db")
    proc = run_installed("ai-etl", "deploy", str(spec), "--json", *extra, env=_env(home, **env))
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def _requests(home: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(home / "airflow.db") as db:
        rows = db.execute("SELECT bundle_name, relative_fileloc FROM dag_priority_parsing_request").fetchall()
    return sorted(rows)


def test_deploy_into_the_dags_folder_queues_a_parse_request(migrated_home: Path, tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec.yaml")
    first = _deploy(migrated_home, spec)
    assert first["parse_requested"] is True
    assert "bundle 'dags-folder'" in str(first["message"])
    assert _requests(migrated_home) == [("dags-folder", "ai_etl/orders_daily.py")]

    # A second version while the first request is still pending: still one request for the file.
    second = _deploy(migrated_home, write_spec(tmp_path / "spec2.yaml", description="v2"))
    assert (second["version"], second["parse_requested"]) == (2, True)
    assert _requests(migrated_home) == [("dags-folder", "ai_etl/orders_daily.py")]

    # Unchanged: nothing new to parse.
    third = _deploy(migrated_home, write_spec(tmp_path / "spec3.yaml", description="v2"))
    assert (third["action"], third["parse_requested"]) == ("unchanged", False)


def test_the_deepest_configured_bundle_holding_the_folder_is_named(
    migrated_home: Path, tmp_path: Path
) -> None:
    team_folder = migrated_home / "dags" / "team_a"  # inside the dags-folder bundle too
    team_folder.mkdir()
    bundles = [
        {
            "name": "dags-folder",
            "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
            "kwargs": {},
        },
        {
            "name": "team-a",
            "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
            "kwargs": {"path": str(team_folder)},
        },
    ]
    result = _deploy(
        migrated_home,
        write_spec(tmp_path / "spec.yaml", dag_id="team_orders"),
        "--dags-folder",
        str(team_folder),
        AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST=json.dumps(bundles),
    )
    assert result["parse_requested"] is True
    assert ("team-a", "ai_etl/team_orders.py") in _requests(migrated_home)


def test_unreachable_metadata_db_still_deploys_and_says_why(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "dags").mkdir(parents=True)
    result = _deploy(
        home,
        write_spec(tmp_path / "spec.yaml"),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql+psycopg2://postgres@127.0.0.1:1/airflow",
    )
    assert (result["action"], result["parse_requested"]) == ("deploy", False)
    assert "metadata database" in str(result["message"])
    assert (home / "dags" / "ai_etl" / "orders_daily.py").exists()
