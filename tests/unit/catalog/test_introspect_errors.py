"""Connections whose schema cannot be read fail with a CatalogError naming the connection."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from airflow.providers.common.sql.hooks.sql import DbApiHook

from airflow_ai_etl.catalog import CatalogError, introspect, introspect_hook


class LedgerHook(DbApiHook):
    """A SQL hook for a database SQLAlchemy has no dialect for."""

    conn_name_attr = "ledger_conn_id"
    default_conn_name = "ledger_default"
    conn_type = "ledger"
    hook_name = "Ledger"


def test_connection_without_a_sql_hook(airflow_conn: Callable[..., None], tmp_path: Path) -> None:
    airflow_conn("files", conn_type="fs", extra={"path": str(tmp_path)})

    with pytest.raises(CatalogError, match=r"connection 'files' uses FSHook, which is not a SQL"):
        introspect("files")


def test_connection_type_without_a_hook(airflow_conn: Callable[..., None]) -> None:
    airflow_conn("mystery", conn_type="no_such_type", host="example.com")

    with pytest.raises(
        CatalogError, match=r"connection 'mystery' \(type 'no_such_type'\) has no usable hook"
    ):
        introspect("mystery")


def test_sql_hook_without_a_sqlalchemy_dialect(airflow_conn: Callable[..., None]) -> None:
    airflow_conn("ledger", "ledger://books.example.com/main")

    with pytest.raises(CatalogError, match=r"connection 'ledger' \(LedgerHook\) has no SQLAlchemy URI"):
        introspect_hook(LedgerHook(ledger_conn_id="ledger"), "ledger", "")
