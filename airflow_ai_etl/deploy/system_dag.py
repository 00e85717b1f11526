"""Install the system DAG `ai_etl_generate` (shipped as package data) into a dags folder.

It goes through the same steps as a pipeline deploy: Airflow's import check in a subprocess, an
atomic write next to the generated DAGs (`<dags folder>/ai_etl/ai_etl_generate.py`), and a priority
parse request so that the first request from the UI does not wait for the next folder scan.
Installing again after a package upgrade replaces it; installing the same file again is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from airflow_ai_etl.deploy.atomic import atomic_write
from airflow_ai_etl.deploy.local import AI_ETL_SUBDIR, _import_check, _prepare_root
from airflow_ai_etl.deploy.models import DeployError
from airflow_ai_etl.deploy.parse_request import request_parse

SYSTEM_DAG_ID = "ai_etl_generate"
_SYSTEM_DAG_MARKER = '"""ai_etl_generate: the system DAG'


@dataclass(frozen=True)
class SystemDagInstall:
    path: Path
    changed: bool
    message: str


def system_dag_source() -> str:
    return (resources.files("airflow_ai_etl.dags") / f"{SYSTEM_DAG_ID}.py").read_text(encoding="utf-8")


def install_system_dag(dags_folder: Path, *, import_timeout: float = 120) -> SystemDagInstall:
    """Publish the system DAG into `dags_folder`; refuses to replace a file that is not one of ours.

    A fresh AIRFLOW_HOME has no dags folder until a component creates it: this is often the first
    command run after `pip install`, so it creates the folder.
    """
    dags_folder.mkdir(parents=True, exist_ok=True)
    _prepare_root(dags_folder)
    path = dags_folder / AI_ETL_SUBDIR / f"{SYSTEM_DAG_ID}.py"
    source = system_dag_source()
    if path.exists():
        current = path.read_text(encoding="utf-8", errors="replace")
        if current == source:
            return SystemDagInstall(path, False, f"{SYSTEM_DAG_ID} is already installed at {path}")
        if not current.startswith(_SYSTEM_DAG_MARKER):
            raise DeployError(f"refusing to overwrite {path}: it is not airflow-ai-etl's system DAG")
    _import_check(source, SYSTEM_DAG_ID, import_timeout, what="the system DAG")
    atomic_write(path, source)
    parse = request_parse(path)
    return SystemDagInstall(path, True, f"installed {SYSTEM_DAG_ID} at {path}; {parse.reason}")
