"""Validation of specs: SQL, schema, graph and connection checks, reported as Findings.

Every finding has a stable dotted `code`; the codes are listed in the docstrings of the modules
that raise them: sql/ (`sql.*`, `quality.condition_invalid`), transfer.py (`transfer.*`),
graph.py (`graph.*`), validate.py (`spec.*`, `step.*`, `schema.unknown`).
"""

from airflow_ai_etl.validation.context import ValidationContext, context_from_airflow
from airflow_ai_etl.validation.report import Finding, Report, Severity
from airflow_ai_etl.validation.sql import check_condition, check_sql
from airflow_ai_etl.validation.validate import validate_document, validate_spec

__all__ = [
    "Finding",
    "Report",
    "Severity",
    "ValidationContext",
    "check_condition",
    "check_sql",
    "context_from_airflow",
    "validate_document",
    "validate_spec",
]
