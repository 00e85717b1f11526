"""Checks of a `python_transform` step: its code against the AST allowlist, its source query, and
its target table.

The code is parsed, never run: this module may run in the api-server. The examples run in the
sandbox of a worker (`transforms/examples.py`), not here.

Finding codes (errors):
- `python_transform.code` - the allowlist refuses a construct; the message names line and construct.
- `python_transform.example_columns` - an example's rows do not all have the same columns.
Source and target problems are reported with the `sql.*` codes (`sql.unknown_table` for a missing
source or target table).
"""

from __future__ import annotations

from collections.abc import Sequence

from airflow_ai_etl.spec.models import PythonTransformStep
from airflow_ai_etl.transforms.checker import check_code
from airflow_ai_etl.validation.report import Finding, Severity
from airflow_ai_etl.validation.transfer import Side, source_findings, unknown_table


def check_python_transform(
    step: PythonTransformStep, source: Side, target: Side, allowed_imports: Sequence[str]
) -> tuple[list[Finding], tuple[str, ...]]:
    """Findings about the step, and the tables its source reads."""
    findings = [
        Finding(
            severity=Severity.ERROR,
            code="python_transform.code",
            message=f"line {f.line}: {f.construct}: {f.message}",
            step_id=step.id,
            field="code",
            hint="a transform is one pure function over a pyarrow RecordBatch",
        )
        for f in check_code(step.code, step.function, allowed_imports)
    ]
    for number, example in enumerate(step.examples):
        for side, rows in (("input", example.input), ("expected", example.expected)):
            if len({tuple(row) for row in rows}) > 1:
                findings.append(
                    Finding(
                        severity=Severity.ERROR,
                        code="python_transform.example_columns",
                        message=f"the {side} rows of example {number + 1} do not all have the same columns",
                        step_id=step.id,
                        field=f"examples.{number}.{side}",
                    )
                )
    source_problems, reads, _ = source_findings(step, source)
    findings += source_problems
    if target.catalog is not None and target.catalog.find_table(step.target.table) is None:
        findings.append(unknown_table(step, step.target.table, step.target.conn_id, "target.table"))
    return findings, reads
