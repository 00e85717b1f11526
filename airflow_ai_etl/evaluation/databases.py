"""The suite's SQLite databases: built once from their scripts, then a fresh copy for every case.

A rows check is only repeatable when every case starts from the same data, and a case's DAG run
must not see what the previous case wrote. The connections point at the copies through
AIRFLOW_CONN_<CONN_ID> while the case runs (generation, the DAG run and the rows queries alike),
and the environment is restored afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from airflow_ai_etl.evaluation.suite import SqliteDatabase

SCRIPT_TIMEOUT_S = 120.0


class DatabaseSetupError(RuntimeError):
    """A database script failed; the message names the script and shows its output."""


def _env_name(conn_id: str) -> str:
    return f"AIRFLOW_CONN_{conn_id.upper()}"


class SqliteDatabases:
    def __init__(self, databases: list[SqliteDatabase], base_dir: Path, root: Path) -> None:
        self.databases = databases
        self.base_dir = base_dir
        self.templates = root / "templates"
        self.cases = root / "cases"
        self._built = False

    def _build(self) -> None:
        self.templates.mkdir(parents=True, exist_ok=True)
        for db in self.databases:
            path = self.templates / f"{db.conn_id}.db"
            if db.script is None:
                sqlite3.connect(path).close()
                continue
            script = (self.base_dir / db.script).resolve()
            if not script.is_file():
                raise DatabaseSetupError(f"sqlite_databases {db.conn_id}: script not found: {script}")
            try:
                done = subprocess.run(
                    [sys.executable, str(script), str(path)],
                    capture_output=True,
                    text=True,
                    timeout=SCRIPT_TIMEOUT_S,
                    check=False,
                    stdin=subprocess.DEVNULL,
                )
            except subprocess.TimeoutExpired:
                raise DatabaseSetupError(f"{script} did not finish within {SCRIPT_TIMEOUT_S:.0f} s") from None
            if done.returncode != 0 or not path.is_file():
                output = (done.stderr or done.stdout).strip()[-2000:]
                raise DatabaseSetupError(f"{script} {path} exited {done.returncode}: {output}")
        self._built = True

    @contextmanager
    def for_case(self, name: str) -> Iterator[None]:
        """Fresh copies of every database, the connections pointing at them, for one case."""
        if not self.databases:
            yield
            return
        if not self._built:
            self._build()
        folder = self.cases / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        saved = {db.conn_id: os.environ.get(_env_name(db.conn_id)) for db in self.databases}
        try:
            for db in self.databases:
                copy = folder / f"{db.conn_id}.db"
                shutil.copyfile(self.templates / f"{db.conn_id}.db", copy)
                os.environ[_env_name(db.conn_id)] = json.dumps({"conn_type": "sqlite", "host": str(copy)})
            yield
        finally:
            for conn_id, value in saved.items():
                if value is None:
                    os.environ.pop(_env_name(conn_id), None)
                else:
                    os.environ[_env_name(conn_id)] = value
