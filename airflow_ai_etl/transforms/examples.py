"""A transform's unit examples, run in the same sandbox as the task will run the code.

Run in a worker (generation) or from the command line, never in the api-server. A failing example
is a finding that names the example and shows expected and actual rows, so neither a person nor
the coder agent has to guess what went wrong.

Finding codes (errors):
- `python_transform.example_failed` - the function returned other rows than the example expects.
- `python_transform.example_error` - the function failed on the example (or hit a sandbox limit).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from airflow_ai_etl.spec.models import PythonTransformStep
from airflow_ai_etl.transforms.sandbox import SandboxError, SandboxLimits, run_transform
from airflow_ai_etl.validation.report import Finding, Severity

#: Characters of rows quoted in a finding.
_QUOTED = 500


def _quoted(rows: Any) -> str:
    text = json.dumps(rows, default=str, sort_keys=True)
    return text if len(text) <= _QUOTED else text[:_QUOTED] + "..."


def run_examples(
    step: PythonTransformStep, *, allowed_imports: Sequence[str], limits: SandboxLimits
) -> list[Finding]:
    """Findings for every example the step's function does not pass (none when all pass)."""
    import pyarrow as pa

    findings = []
    for number, example in enumerate(step.examples, start=1):
        where = {"step_id": step.id, "field": f"examples.{number - 1}"}
        try:
            batch = pa.RecordBatch.from_pylist(example.input)
            got = run_transform(
                step.code, step.function, batch, allowed_imports=allowed_imports, limits=limits
            )
        except (SandboxError, pa.ArrowException) as exc:
            findings.append(
                Finding(
                    severity=Severity.ERROR,
                    code="python_transform.example_error",
                    message=f"example {number}: {exc}",
                    **where,
                )
            )
            continue
        rows = got.to_pylist()
        if json.loads(json.dumps(rows, default=str)) != json.loads(json.dumps(example.expected, default=str)):
            findings.append(
                Finding(
                    severity=Severity.ERROR,
                    code="python_transform.example_failed",
                    message=f"example {number}: expected {_quoted(example.expected)}, got {_quoted(rows)}",
                    hint="fix the function, or the example if it expects the wrong rows",
                    **where,
                )
            )
    return findings
