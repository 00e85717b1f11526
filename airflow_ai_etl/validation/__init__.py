"""Validation of specs: SQL, schema, graph and connection checks, reported as Findings."""

from airflow_ai_etl.validation.report import Finding, Report, Severity

__all__ = ["Finding", "Report", "Severity"]
