"""How the SQL rules word their findings: errors and warnings without a step id or field.

Findings from the SQL package carry no step id or field: the caller knows where the SQL came from.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from airflow_ai_etl.validation.report import Finding, Severity


def error(code: str, message: str, hint: str | None = None) -> Finding:
    return Finding(severity=Severity.ERROR, code=code, message=message, hint=hint)


def warning(code: str, message: str, hint: str | None = None) -> Finding:
    return Finding(severity=Severity.WARNING, code=code, message=message, hint=hint)


def did_you_mean(name: str, known: Iterable[str]) -> str | None:
    """A hint naming up to three known names close to `name`, or None."""
    close = difflib.get_close_matches(name, list(known), n=3)
    return f"did you mean {', '.join(close)}?" if close else None
