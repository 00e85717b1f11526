"""An AIRFLOW_HOME with a migrated SQLite metadata database, for commands run as child processes.

Airflow reads its configuration once per process, so tests that need a metadata database run
`airflow` / `ai-etl` in child processes with the environment built here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def sqlite_airflow_env(home: Path, **overrides: str) -> dict[str, str]:
    """The environment of an Airflow whose home, SQLite metadata DB and dags folder are under `home`."""
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        **overrides,
    }


def migrated_sqlite_home(home: Path) -> Path:
    """`home` with a dags folder and a migrated metadata database (`airflow db migrate`)."""
    (home / "dags").mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"],
        env=sqlite_airflow_env(home),
        check=True,
        capture_output=True,
        timeout=300,
    )
    return home


def run_installed(
    command: str, *args: str, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run an installed command (`airflow`, `ai-etl`) as a user would; output kept as text."""
    return subprocess.run(
        [str(BIN / command), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
