"""`ai-etl` finds a connection wherever Airflow keeps it, the way the api-server does.

Each test defines the shop connection in one place only (metadata database, environment, a
secrets backend) and asks `ai-etl catalog` for it in a child process.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.airflow_home import migrated_sqlite_home, run_installed, sqlite_airflow_env
from tests.unit.deploy.conftest import make_shop_db


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = migrated_sqlite_home(tmp_path_factory.mktemp("airflow-home"))
    make_shop_db(home / "shop.db")
    return home


def _tables(home: Path, conn_id: str, **env: str) -> list[str]:
    proc = run_installed("ai-etl", "catalog", conn_id, env=sqlite_airflow_env(home, **env))
    assert proc.returncode == 0, proc.stderr
    return sorted(table["name"] for table in json.loads(proc.stdout)["tables"])


def test_a_connection_in_the_metadata_database(home: Path) -> None:
    env = sqlite_airflow_env(home)
    added = run_installed(
        "airflow", "connections", "add", "shop_db", "--conn-type", "sqlite", "--conn-host",
        str(home / "shop.db"), env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert _tables(home, "shop_db") == ["orders", "orders_copy"]


def test_a_connection_in_the_environment(home: Path) -> None:
    conn = json.dumps({"conn_type": "sqlite", "host": str(home / "shop.db")})
    assert _tables(home, "shop_env", AIRFLOW_CONN_SHOP_ENV=conn) == ["orders", "orders_copy"]


def test_a_connection_in_a_secrets_backend(home: Path, tmp_path: Path) -> None:
    secrets = tmp_path / "connections.json"
    secrets.write_text(json.dumps({"shop_vault": {"conn_type": "sqlite", "host": str(home / "shop.db")}}))
    tables = _tables(
        home,
        "shop_vault",
        AIRFLOW__SECRETS__BACKEND="airflow.secrets.local_filesystem.LocalFilesystemBackend",
        AIRFLOW__SECRETS__BACKEND_KWARGS=json.dumps({"connections_file_path": str(secrets)}),
    )
    assert tables == ["orders", "orders_copy"]


def test_a_connection_defined_nowhere_is_named(home: Path) -> None:
    proc = run_installed("ai-etl", "catalog", "nowhere", env=sqlite_airflow_env(home))
    assert proc.returncode == 1
    assert "connection 'nowhere' is not defined in Airflow" in proc.stderr
    assert "Traceback" not in proc.stderr
