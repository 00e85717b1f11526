"""Audit helpers shared by the routers: record an attempt, refuse it with a 4xx, both in one call."""

from __future__ import annotations

from typing import Any, NoReturn

from fastapi import HTTPException

from airflow_ai_etl.store import Store


def refuse(
    store: Store,
    *,
    user: str,
    action: str,
    target: str,
    status: int,
    detail: Any,
    headers: dict[str, str] | None = None,
) -> NoReturn:
    """Write the refused attempt to the audit log, then answer `status` with `detail` (and `headers`)."""
    store.audit(
        user=user,
        action=action,
        target=target,
        outcome="refused",
        detail={"status": status, "detail": detail},
    )
    raise HTTPException(status_code=status, detail=detail, headers=headers)
