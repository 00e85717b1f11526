"""Columns whose values are secrets or personal data: the tools show "***" instead of the value."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_ai_etl.catalog.sensitive import is_sensitive

MASK = "***"

__all__ = ["MASK", "is_sensitive", "mask_rows"]


def mask_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Rows with every non-null value of a sensitive column replaced by MASK."""
    hidden = [is_sensitive(c) for c in columns]
    return [[MASK if h and v is not None else v for h, v in zip(hidden, row, strict=False)] for row in rows]
