"""Constructor checks the load operators share, so a DAG author gets the same words from each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def check_columns(task_id: str, field: str, value: Sequence[str] | None) -> None:
    """`value` is None or a list of distinct column names (a string is the usual slip: 'id' for ['id'])."""
    if isinstance(value, str):
        raise ValueError(f"{task_id}: {field!r} must be a list of column names, not a string")
    if value is not None and len(set(value)) != len(value):
        raise ValueError(f"{task_id}: {field!r} lists a column twice")


def check_at_least_one(task_id: str, field: str, value: Any) -> None:
    """`value` is a whole number of at least 1 (a batch size, a message count)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{task_id}: {field!r} must be at least 1, got {value!r}")
