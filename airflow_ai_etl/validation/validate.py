"""Whole-spec validation: schema, connections, steps in order, graph; one Report.

Finding codes raised here (each step kind's check adds its own, see validation/sql/,
transfer.py, quality.py, files.py, kafka.py, spark.py, graph.py and schema.py):
- `spec.schema` (error) - the document does not fit the PipelineSpec schema (validate_document).
- `spec.schedule` (error) - the schedule is not a valid cron expression or preset.
- `spec.unknown_connection` (error) - a conn id that is not defined in Airflow.
- `schema.unknown` (warning) - a connection whose catalog is not known; its schema checks are skipped.
- `spec.secret` (error) - see secrets.py: a field holds credential-looking text.
- `spec.generated_grant` (error) - see provenance.py: a generated spec carries a destructive grant.

Steps are checked in list order, so a table created by a `sql` step is known to the steps after
it; whether they also *depend* on that step is the graph's `graph.missing_dependency` check.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from airflow_ai_etl.catalog.models import SchemaCatalog, Table
from airflow_ai_etl.spec.io import SpecError, parse_spec
from airflow_ai_etl.spec.models import PipelineSpec
from airflow_ai_etl.steps.base import Checking
from airflow_ai_etl.validation.context import ValidationContext, schema_connections, step_connections
from airflow_ai_etl.validation.graph import TableAccess, check_graph, check_table_order
from airflow_ai_etl.validation.provenance import generation_findings
from airflow_ai_etl.validation.report import Finding, Report, Severity
from airflow_ai_etl.validation.schema import with_tables
from airflow_ai_etl.validation.secrets import redacted, secret_findings
from airflow_ai_etl.validation.shadowing import shadow_findings

_STEP_PATH = re.compile(r"^steps\[\d+\]\((?P<step_id>[^)]*)\)(?:\.(?P<field>.+))?$")


def validate_document(
    data: Any, *, context: ValidationContext | None = None
) -> tuple[PipelineSpec | None, Report]:
    """Parse plain data as a spec; schema problems become findings instead of an exception.

    A problem inside a step has that step's id as `step_id` and the path within it as `field`
    (`source.sql`); others have the document path (`schedule`, `steps`). With a context, a spec
    that parses is also validated with `validate_spec`.
    """
    try:
        spec = parse_spec(data)
    except SpecError as exc:
        return None, Report(
            findings=redacted(_schema_finding(path, message) for path, message in exc.problems)
        )
    return spec, validate_spec(spec, context) if context is not None else Report()


def _schema_finding(path: str, message: str) -> Finding:
    step_id, field = None, path or None
    match = _STEP_PATH.match(path)
    if match:
        step_id, field = match["step_id"], match["field"]
    code = "spec.schedule" if path == "schedule" else "spec.schema"
    return Finding(
        severity=Severity.ERROR,
        code=code,
        message=f"{path or 'the document'}: {message}",
        step_id=step_id,
        field=field,
    )


def _connection_findings(spec: PipelineSpec, context: ValidationContext) -> list[Finding]:
    findings = []
    uses: list[tuple[str | None, str, str]] = [
        (step.id, field, conn_id) for step in spec.steps for field, conn_id in step_connections(step)
    ]
    if spec.on_failure is not None and spec.on_failure.smtp_conn_id:
        uses.append((None, "on_failure.smtp_conn_id", spec.on_failure.smtp_conn_id))
    for step_id, field, conn_id in uses:
        if conn_id not in context.connections:
            findings.append(
                Finding(
                    severity=Severity.ERROR,
                    code="spec.unknown_connection",
                    message=f"connection {conn_id!r} is not defined in Airflow",
                    step_id=step_id,
                    field=field,
                    hint="define it in Airflow (UI, CLI or AIRFLOW_CONN_*), or use an existing conn id",
                )
            )
    unknown_schema = dict.fromkeys(
        conn_id
        for step in spec.steps
        for conn_id in schema_connections(step)
        if conn_id in context.connections and conn_id not in context.catalogs
    )
    for conn_id in unknown_schema:
        reason = context.catalog_errors.get(conn_id)
        findings.append(
            Finding(
                severity=Severity.WARNING,
                code="schema.unknown",
                message=f"the schema of connection {conn_id!r} is not known"
                + (f" ({reason})" if reason else "")
                + "; its tables and columns were not checked",
            )
        )
    return findings


class _CatalogsSoFar:
    """Each connection's catalog with the tables earlier steps created. Each created table is
    added once, not once per later step, so that validation stays linear in the number of steps."""

    def __init__(self, catalogs: Mapping[str, SchemaCatalog]) -> None:
        self.catalogs = catalogs
        self.created: dict[str, list[Table]] = defaultdict(list)
        self.extended: dict[str, tuple[int, SchemaCatalog]] = {}

    def add(self, conn_id: str, table: Table) -> None:
        self.created[conn_id].append(table)

    def __call__(self, conn_id: str) -> SchemaCatalog | None:
        base = self.catalogs.get(conn_id)
        if base is None:
            return None
        created = self.created[conn_id]
        added, current = self.extended.get(conn_id, (0, base))
        if added < len(created):
            current = with_tables(current, created[added:])
            self.extended[conn_id] = (len(created), current)
        return current


def validate_spec(spec: PipelineSpec, context: ValidationContext) -> Report:
    """Every check on a parsed spec; `Report.ok` is False when any finding is an error."""
    from airflow_ai_etl.steps import registry  # the kinds' checks import validation

    report = Report(findings=[*check_graph(spec.steps), *secret_findings(spec)])
    report.extend(_connection_findings(spec, context))
    catalog = _CatalogsSoFar(context.catalogs)
    accesses: list[TableAccess] = []

    checking = Checking(context, catalog)
    for step in spec.steps:
        if any(conn_id not in context.connections for _, conn_id in step_connections(step)):
            continue  # reported as spec.unknown_connection; there is nothing to check against
        checked = registry.kind_of(step).check(step, checking)
        report.extend(checked.findings)
        for conn_id, table in checked.use.created:
            report.extend(shadow_findings(table, context.catalogs.get(conn_id), step.id))
            catalog.add(conn_id, table)
        accesses += [TableAccess(step.id, conn_id, t, writes=False) for conn_id, t in checked.use.reads]
        accesses += [TableAccess(step.id, conn_id, t, writes=True) for conn_id, t in checked.use.writes]
    default_schemas = {conn_id: c.default_schema for conn_id, c in context.catalogs.items()}
    report.extend(check_table_order(spec.steps, accesses, default_schemas))
    findings = redacted(report.findings)  # whichever check quoted a field, no secret leaves in a finding
    return Report(
        findings=generation_findings(spec, findings) if context.author == "generation" else findings
    )
