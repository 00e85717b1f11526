"""Rows checks: run a rendered DAG for real (`airflow dags test`) and compare query results.

Airflow runs in subprocesses with a throwaway AIRFLOW_HOME and a SQLite metadata database,
migrated once per suite run, so nothing touches the user's Airflow; each case gets its own dags
folder holding just its DAG file. The connections are the ones this process sees (AIRFLOW_CONN_*
included), passed on through the environment. Every command is bounded in time.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_ai_etl.evaluation.suite import RowsCheck

#: Upper bound for `airflow db migrate` and for one `airflow dags test`.
DEFAULT_TIMEOUT_S = 180.0


class RowsCheckError(RuntimeError):
    """The DAG could not be run (or the metadata database not set up); the message says why."""


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


@dataclass
class AirflowSandbox:
    """A throwaway Airflow home for `airflow dags test` runs."""

    home: Path
    timeout_s: float = DEFAULT_TIMEOUT_S

    @classmethod
    def create(cls, root: Path | None = None, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> AirflowSandbox:
        home = Path(tempfile.mkdtemp(prefix="ai-etl-eval-airflow-", dir=root))
        sandbox = cls(home=home, timeout_s=timeout_s)
        sandbox._airflow(["db", "migrate"], home / "dags", what="airflow db migrate")
        return sandbox

    def env(self, dags_folder: Path) -> dict[str, str]:
        return {
            **os.environ,
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home / 'airflow.db'}",
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
        }

    def _airflow(self, args: list[str], dags_folder: Path, *, what: str) -> None:
        try:
            done = subprocess.run(
                [sys.executable, "-m", "airflow", *args],
                env=self.env(dags_folder),
                capture_output=True,
                text=True,
                timeout=self.timeout_s,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise RowsCheckError(f"{what} did not finish within {self.timeout_s:.0f} s") from None
        if done.returncode != 0:
            raise RowsCheckError(
                f"{what} exited {done.returncode}:\n{_tail(done.stdout)}\n{_tail(done.stderr)}".rstrip()
            )

    def run_dag(self, dag_id: str, source: str) -> None:
        """Write the DAG file into a fresh dags folder and run it once; raises when the run fails."""
        dags_folder = Path(tempfile.mkdtemp(prefix=f"{dag_id}-", dir=self.home))
        (dags_folder / f"{dag_id}.py").write_text(source, encoding="utf-8")
        self._airflow(["dags", "test", dag_id], dags_folder, what=f"airflow dags test {dag_id}")


def _plain(value: Any) -> Any:
    """A database value as YAML would write it: Decimal -> int/float, dates -> ISO text."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return value


def rows_problem(check: RowsCheck) -> str | None:
    """Run the check's query through its connection's hook; None when the rows are as expected."""
    from airflow.sdk import BaseHook

    try:
        hook = BaseHook.get_connection(check.conn_id).get_hook()  # type: ignore[no-untyped-call]
        records = hook.get_records(check.sql)
    except Exception as exc:  # any driver or connection error: reported, not raised
        return f"rows on {check.conn_id}: the query failed: {str(exc).splitlines()[0] if str(exc) else exc!r}"
    got = [[_plain(v) for v in row] for row in records]
    if got == check.equals:
        return None
    shown = got if len(got) <= 5 else [*got[:5], "..."]
    return f"rows on {check.conn_id} ({check.sql.strip()}): expected {check.equals}, got {shown}"
