"""The module file a `python_transform` step ships beside its DAG file.

The DAG file never imports it: it names the file and its sha256, and the operator reads the file,
checks the hash (a file changed after approval is refused) and hands the text to the sandbox.
The name carries the hash, so every approved version keeps its own file and a rollback finds the
code its DAG file names. The folder is listed in the dags folder's `.airflowignore`: the
dag-processor never parses (imports) it.
"""

from __future__ import annotations

import hashlib

from airflow_ai_etl.steps.base import StepFile
from airflow_ai_etl.steps.python_transform.model import PythonTransformStep

#: The folder beside the DAG files that holds transform modules (ignored by the dag-processor).
TRANSFORMS_DIR = "transforms"


def transform_module(step: PythonTransformStep, dag_id: str) -> StepFile:
    """The module file of a step: its path relative to the DAG file's folder, text and sha256."""
    text = (
        f"# airflow-ai-etl: python_transform code of {dag_id}.{step.id}, deployed with that DAG.\n"
        "# Do not edit: the task refuses this file when its sha256 differs from the approved one.\n"
        f"{step.code.rstrip()}\n"
    )
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    path = f"{TRANSFORMS_DIR}/{dag_id}.{step.id}.{sha256[:12]}.py"
    return StepFile(step_id=step.id, path=path, text=text, sha256=sha256, is_code=True)
