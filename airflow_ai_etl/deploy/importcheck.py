"""Import check: load a DAG file with Airflow's own DagBag, in a subprocess with a time limit.

A DAG file is Python that runs on import, so it is never imported into the deploying process: a
child interpreter (the same `sys.executable`, the same environment) loads it and reports the DAG
ids and import errors as JSON. A child that hangs is killed at the timeout and counts as a failure.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from airflow_ai_etl.observability import metrics

# Runs in the child. The result goes to a file, not stdout: Airflow logs to stdout.
_CHILD = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1], safe_mode=False)
with open(sys.argv[2], "w", encoding="utf-8") as out:
    json.dump({"dag_ids": sorted(bag.dag_ids), "errors": bag.import_errors}, out)
"""

_OUTPUT_TAIL = 2_000


@dataclass(frozen=True)
class ImportCheck:
    """Outcome of loading one DAG file: `errors` maps a file name (or 'import check') to the error text."""

    ok: bool
    dag_ids: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def check_dag_file(path: Path, *, timeout: float = 120) -> ImportCheck:
    """Load `path` with DagBag in a child process; ok when it imports without error and defines a DAG."""
    with tempfile.TemporaryDirectory(prefix="ai-etl-importcheck-") as scratch:
        result_file = Path(scratch) / "result.json"
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _CHILD, str(path), str(result_file)],
                cwd=scratch,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return _failed(path, f"importing the file did not finish within {timeout:g} s (killed)")
        if proc.returncode != 0 or not result_file.exists():
            output = (proc.stderr or proc.stdout).strip()[-_OUTPUT_TAIL:]
            return _failed(path, f"the import check process exited with code {proc.returncode}: {output}")
        data = json.loads(result_file.read_text(encoding="utf-8"))
    errors = {Path(name).name: text for name, text in data["errors"].items()}
    dag_ids: list[str] = data["dag_ids"]
    if not errors and not dag_ids:
        errors[path.name] = "the file imports but defines no DAG"
    return ImportCheck(ok=not errors, dag_ids=dag_ids, errors=errors)


def check_dag_source(source: str, *, dag_id: str, timeout: float = 120) -> ImportCheck:
    """Import-check `source` as `<dag_id>.py` in a scratch directory; it must define exactly `dag_id`.

    The copy lives outside the dags folder so that nothing unchecked is ever visible to Airflow.
    """
    with tempfile.TemporaryDirectory(prefix="ai-etl-candidate-") as scratch:
        candidate = Path(scratch) / f"{dag_id}.py"
        candidate.write_text(source, encoding="utf-8")
        check = check_dag_file(candidate, timeout=timeout)
    if check.ok and check.dag_ids != [dag_id]:
        found = ", ".join(repr(d) for d in check.dag_ids)
        message = f"expected the file to define exactly the DAG {dag_id!r}, found {found}"
        check = ImportCheck(ok=False, dag_ids=check.dag_ids, errors={candidate.name: message})
    if not check.ok:
        metrics.import_check_failed()
    return check


def _failed(path: Path, message: str) -> ImportCheck:
    return ImportCheck(ok=False, errors={path.name: message})
