"""ClickHouseHook's connection handling and its registration with Airflow (no engine is opened)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from airflow.sdk import Connection

from airflow_ai_etl.catalog.connections import dialect_for_conn_type
from airflow_ai_etl.hooks.clickhouse import ClickHouseHook


def _hook(**fields: Any) -> ClickHouseHook:
    extra = fields.pop("extra", {})
    connection = Connection(conn_id="ch", conn_type="clickhouse", extra=json.dumps(extra), **fields)
    return ClickHouseHook(clickhouse_conn_id="ch", connection=connection)


def test_connection_type_resolves_to_the_hook() -> None:
    hook = Connection(conn_id="ch", conn_type="clickhouse").get_hook()  # type: ignore[no-untyped-call]

    assert type(hook) is ClickHouseHook
    assert hook.get_conn_id() == "ch"
    assert dialect_for_conn_type("clickhouse") == "clickhouse"


def test_server_connection_over_http() -> None:
    hook = _hook(host="ch.internal", port=8123, login="etl", password="s3cret", schema="analytics")

    assert hook._client_kwargs() == {
        "host": "ch.internal",
        "port": 8123,
        "username": "etl",
        "password": "s3cret",
        "database": "analytics",
        "interface": "http",
        "secure": False,
    }
    assert hook.get_uri() == "clickhouse://etl@ch.internal:8123/analytics"


@pytest.mark.parametrize("extra", [{"secure": True}, {"secure": "true"}, {"interface": "HTTPS"}])
def test_secure_server_connection(extra: dict[str, Any]) -> None:
    kwargs = _hook(host="ch.internal", extra=extra)._client_kwargs()

    assert (kwargs["interface"], kwargs["secure"], kwargs["username"]) == ("https", True, "default")


def test_chdb_connection_keeps_only_engine_fields() -> None:
    hook = _hook(
        host="ignored", login="ignored", schema="dwh", extra={"interface": "chdb", "path": "/data/ch"}
    )

    assert hook._client_kwargs() == {"interface": "chdb", "path": "/data/ch", "database": "dwh"}
    assert hook.get_uri() == "chdb:///data/ch?database=dwh"
    assert _hook(extra={"interface": "chdb"}).get_uri() == "chdb://memory"


def test_unknown_interface_names_the_field() -> None:
    with pytest.raises(ValueError, match=r"connection 'ch': extra 'interface' is 'grpc'"):
        _hook(extra={"interface": "grpc"})._client_kwargs()


def test_openlineage_names_the_server_and_database() -> None:
    from airflow.providers.openlineage.sqlparser import SQLParser

    server = _hook(host="ch.internal", schema="analytics").get_openlineage_database_info(None)
    assert SQLParser.create_namespace(server) == "clickhouse://ch.internal:8123"
    assert server.database == "analytics"
    secure = _hook(host="ch.internal", port=9440, extra={"secure": True}).get_openlineage_database_info(None)
    assert (SQLParser.create_namespace(secure), secure.database) == (
        "clickhouse://ch.internal:9440",
        "default",
    )
    chdb = _hook(extra={"interface": "chdb"}).get_openlineage_database_info(None)
    assert SQLParser.create_namespace(chdb) == "clickhouse"
