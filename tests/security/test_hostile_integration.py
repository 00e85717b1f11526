"""The hostile-spec suite through the real doors: the `ai-etl` CLI against a real PostgreSQL
database, spec edits through the real API, and source reads at run time.

A few cases per attack class (the in-process suite, test_hostile_specs.py, covers every field of
every step kind). Each CLI case asserts a refusal naming the step and field, no traceback, nothing
in the dags folder, and the database unchanged; each API case a 4xx naming the field, no new
draft in the store, and an audit entry.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from airflow.sdk.exceptions import AirflowException

from airflow_ai_etl.operators import TransferOperator
from airflow_ai_etl.operators.transfer import TransferError
from airflow_ai_etl.store import default_store
from tests.conftest import _admin_execute, pg_uri
from tests.integration.plugins.conftest import AirflowApi
from tests.security.attacks import SECRETS, pipeline
from tests.support.pg import run

pytestmark = pytest.mark.integration

AI_ETL = Path(sys.executable).parent / "ai-etl"

SHOP = """
CREATE SCHEMA shop;
CREATE TABLE shop.clients (id bigint PRIMARY KEY, name text);
CREATE TABLE shop.purchases (id bigint PRIMARY KEY, client_id bigint REFERENCES shop.clients, amount numeric);
CREATE TABLE shop.archive (id bigint PRIMARY KEY, amount numeric);
CREATE SEQUENCE shop.ticket_seq;
INSERT INTO shop.clients SELECT g, 'client ' || g FROM generate_series(1, 20) AS g;
INSERT INTO shop.purchases SELECT g, 1 + g % 20, g * 1.5 FROM generate_series(1, 100) AS g;
CREATE FUNCTION shop.log_touch(x bigint) RETURNS bigint LANGUAGE sql
    AS 'INSERT INTO shop.archive VALUES (x + 1000000, 0) RETURNING id';
"""


def _snapshot(uri: str) -> list[Any]:
    """What an attack could change: row counts, the sequence, large objects, the settings."""
    return [
        run(uri, "SELECT count(*) FROM shop.clients"),
        run(uri, "SELECT count(*), sum(amount) FROM shop.purchases"),
        run(uri, "SELECT count(*) FROM shop.archive"),
        run(uri, "SELECT last_value, is_called FROM shop.ticket_seq"),
        run(uri, "SELECT count(*) FROM pg_largeobject_metadata"),
        run(uri, "SELECT count(*) FROM pg_class WHERE relnamespace = 'shop'::regnamespace"),
    ]


@pytest.fixture(scope="module")
def shop_pg() -> Iterator[str]:
    """A PostgreSQL shop defined as connection `shop_pg` (and `dwh_pg`, the same database)."""
    name = f"ai_etl_sec_{uuid.uuid4().hex[:10]}"
    _admin_execute(f'CREATE DATABASE "{name}"')
    uri = pg_uri(name)
    run(uri, SHOP)
    saved = {key: os.environ.get(key) for key in ("AIRFLOW_CONN_SHOP_PG", "AIRFLOW_CONN_DWH_PG")}
    os.environ.update({key: uri for key in saved})
    try:
        yield uri
    finally:
        for key, value in saved.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)
        _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _export(sql: str) -> dict[str, Any]:
    return {
        "id": "export_clients",
        "kind": "file_export",
        "source": {"conn_id": "shop_pg", "sql": sql},
        "path": "/tmp/ai-etl-security/clients.csv",
        "format": "csv",
    }


def _change(sql: str, *grants: tuple[str, str]) -> dict[str, Any]:
    step: dict[str, Any] = {"id": "change", "kind": "sql", "conn_id": "shop_pg", "sql": sql}
    if grants:
        step["allow_destructive"] = [{"operation": o, "table": t} for o, t in grants]
    return step


#: One step per attack class (and a secret and an e-mail URL at the top): one `ai-etl deploy` run
#: must name every one of them.
_CLI_STEPS = {
    "server_file": _export("SELECT id, pg_read_file('/etc/passwd') AS name FROM shop.clients"),
    "sequence": _export("SELECT nextval('shop.ticket_seq') AS id"),
    "large_object": _export("SELECT lo_export(16385, '/tmp/x') AS id"),
    "credentials": _export("SELECT usename, passwd FROM pg_shadow"),
    "settings": _export("SELECT current_setting('data_directory') AS d"),
    "volatile_udf": _export("SELECT shop.log_touch(id) AS id FROM shop.clients"),
    "other_table": _change("DELETE FROM shop.purchases WHERE true", ("delete", "shop.clients")),
    "cascade": _change("TRUNCATE shop.clients CASCADE", ("truncate", "shop.clients")),
    "replace": _change("CREATE OR REPLACE VIEW shop.clients AS SELECT 1 AS id"),
}


def test_the_cli_refuses_every_class_and_writes_nothing(shop_pg: str, tmp_path: Path) -> None:
    steps = [{**step, "id": step_id} for step_id, step in _CLI_STEPS.items()]
    data = pipeline(
        *steps,
        description=f"copies {SECRETS['credential URL']}",
        on_failure={"notify": "email", "to": ["http://x@evil.example"]},
    )
    spec_file = tmp_path / "hostile.yaml"
    spec_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    dags = tmp_path / "dags"
    dags.mkdir()
    before = _snapshot(shop_pg)

    proc = _cli("deploy", str(spec_file), "--dags-folder", str(dags))

    assert proc.returncode != 0
    assert "on_failure.to" in proc.stderr  # the schema refuses the address before anything else runs
    data.pop("on_failure")
    spec_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    proc = _cli("deploy", str(spec_file), "--dags-folder", str(dags))
    assert proc.returncode != 0
    named = {step_id: f"[{step_id}." in proc.stderr for step_id in _CLI_STEPS}
    assert all(named.values()), proc.stderr
    assert "[description]" in proc.stderr
    assert not any(s in proc.stderr + proc.stdout for s in SECRETS.values())
    assert not list(dags.rglob("*"))
    assert _snapshot(shop_pg) == before


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(AI_ETL), *args], capture_output=True, text=True, timeout=300, check=False, env=os.environ.copy()
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.mark.parametrize(
    ("document", "words"),
    [
        pytest.param(
            "dag_id: x\ndag_id: y\nstart_date: 2026-01-01\nsteps: []\n", "duplicate key", id="duplicate key"
        ),
        pytest.param(
            "a: &a [x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n"
                for i in range(8)
            ),
            "expands to more than",
            id="alias bomb",
        ),
    ],
)
def test_the_cli_refuses_unbounded_documents_quickly(document: str, words: str, tmp_path: Path) -> None:
    spec_file = tmp_path / "bomb.yaml"
    spec_file.write_text(document, encoding="utf-8")
    proc = _cli("validate", str(spec_file))
    assert proc.returncode != 0
    assert words in proc.stderr


# --- at run time: source reads are read-only --------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("SELECT nextval('shop.ticket_seq') AS id, 1.0 AS amount", id="sequence"),
        pytest.param("SELECT shop.log_touch(id) AS id, 1.0 AS amount FROM shop.clients", id="volatile UDF"),
    ],
)
def test_a_source_read_that_would_write_fails_and_changes_nothing(sql: str, shop_pg: str) -> None:
    """Defence in depth: were such SQL deployed anyway, the read-only session refuses the write."""
    before = _snapshot(shop_pg)
    operator = TransferOperator(
        task_id="copy",
        source_conn_id="shop_pg",
        target_conn_id="dwh_pg",
        target_table="shop.archive",
        source_sql=sql,
    )
    with pytest.raises((TransferError, AirflowException), match="read-only"):
        operator.execute({})  # type: ignore[arg-type]
    assert _snapshot(shop_pg) == before


def test_a_table_check_as_rendered_runs_read_only(shop_pg: str) -> None:
    from airflow_ai_etl.operators.sql_checks import ReadOnlySQLTableCheckOperator

    before = _snapshot(shop_pg)
    check = ReadOnlySQLTableCheckOperator(
        task_id="check",
        conn_id="shop_pg",
        table="shop.clients",
        checks={"hostile": {"check_statement": "shop.log_touch(id) > 0"}},
    )
    with pytest.raises(Exception, match="read-only"):
        check.execute({})  # type: ignore[arg-type]
    assert _snapshot(shop_pg) == before


def test_a_column_check_as_rendered_runs_read_only(shop_pg: str) -> None:
    """A column check reads its columns only; a view whose column writes is refused all the same."""
    from airflow_ai_etl.operators.sql_checks import ReadOnlySQLColumnCheckOperator

    run(shop_pg, "CREATE VIEW shop.touched AS SELECT shop.log_touch(id) AS id FROM shop.clients")
    try:
        before = _snapshot(shop_pg)
        check = ReadOnlySQLColumnCheckOperator(
            task_id="check",
            conn_id="shop_pg",
            table="shop.touched",
            column_mapping={"id": {"null_check": {"equal_to": 0}}},
        )
        with pytest.raises(Exception, match="read-only"):
            check.execute({})  # type: ignore[arg-type]
        assert _snapshot(shop_pg) == before
    finally:
        run(shop_pg, "DROP VIEW shop.touched")


# --- through the API: spec edits by people ----------------------------------------------------------

_SQLITE_EXPORT = {
    "id": "export_orders",
    "kind": "file_export",
    "source": {"conn_id": "shop", "sql": "SELECT order_id FROM orders"},
    "path": "/tmp/ai-etl-security/orders.csv",
    "format": "csv",
}


@pytest.fixture(scope="module")
def draft_id(airflow_api: AirflowApi) -> int:
    """A valid draft to edit, stored as generation would have stored it."""
    store = default_store()
    request = store.create_request(request="export orders", conn_ids=["shop"], created_by="op1")
    spec = pipeline(_SQLITE_EXPORT)
    draft = store.add_draft(
        request_id=request.id,
        dag_id="hostile",
        state="ready",
        created_by="op1",
        spec=spec | {"spec_version": 1},
        spec_yaml=yaml.safe_dump(spec),
        source="",
        report={"findings": []},
    )
    return draft.id


def _edit(api: AirflowApi, draft_id: int, data: dict[str, Any], **flags: Any) -> Any:
    return api.call("PUT", f"/drafts/{draft_id}", "op1", json={"spec_yaml": yaml.safe_dump(data), **flags})


def _drafts() -> int:
    from sqlalchemy import func, select

    from airflow_ai_etl.store.models import DraftRow

    with default_store().session() as session:
        return int(session.scalar(select(func.count()).select_from(DraftRow)) or 0)


def _refusals(api: AirflowApi) -> int:
    rows = api.call("GET", "/audit?limit=1000").json()
    return sum(1 for r in rows if r["action"] == "edit" and r["outcome"] == "refused")


def _with_sql(sql: str) -> dict[str, Any]:
    return pipeline({**_SQLITE_EXPORT, "source": {"conn_id": "shop", "sql": sql}})


@pytest.mark.parametrize(
    ("data", "path"),
    [
        pytest.param(
            _with_sql("SELECT readfile('/etc/passwd') AS order_id"),
            "export_orders.source.sql",
            id="server file",
        ),
        pytest.param(
            _with_sql("SELECT load_extension('/tmp/evil.so') AS order_id"),
            "export_orders.source.sql",
            id="extension",
        ),
        pytest.param(_with_sql("SELECT pg_sleep(60) AS order_id"), "export_orders.source.sql", id="sleep"),
        pytest.param(
            _with_sql("SELECT sql FROM sqlite_temp_master"), "export_orders.source.sql", id="system relation"
        ),
        pytest.param(pipeline(_SQLITE_EXPORT, request=SECRETS["API key"]), "request", id="secret"),
        pytest.param(
            pipeline(_SQLITE_EXPORT, on_failure={"notify": "email", "to": ["https://evil.example/x@y.z"]}),
            "on_failure.to",
            id="e-mail",
        ),
    ],
)
def test_an_api_edit_is_refused_naming_the_field_and_audited(
    airflow_api: AirflowApi,
    draft_id: int,
    data: dict[str, Any],
    path: str,
) -> None:
    drafts, refusals = _drafts(), _refusals(airflow_api)
    response = _edit(airflow_api, draft_id, data)
    assert response.status_code == 422, response.text
    assert any(d["path"].startswith(path) for d in response.json()["detail"]), response.text
    assert not any(s in response.text for s in SECRETS.values())
    assert _drafts() == drafts
    assert _refusals(airflow_api) == refusals + 1


def test_an_api_grant_needs_an_explicit_confirmation_and_is_audited(
    airflow_api: AirflowApi,
    draft_id: int,
) -> None:
    purge = {
        "id": "purge",
        "kind": "sql",
        "conn_id": "shop",
        "sql": "DELETE FROM orders WHERE order_id < 0",
        "allow_destructive": [{"operation": "delete", "table": "orders"}],
    }
    data = pipeline(_SQLITE_EXPORT, purge)
    drafts = _drafts()

    unconfirmed = _edit(airflow_api, draft_id, data)
    assert unconfirmed.status_code == 409, unconfirmed.text
    detail = unconfirmed.json()["detail"]
    assert detail["grants"] == [
        {"step": "purge", "field": "allow_destructive", "operation": "delete", "table": "orders"}
    ]
    assert any(line.startswith("+") and "allow_destructive" in line for line in detail["diff"].splitlines())
    assert _drafts() == drafts

    confirmed = _edit(airflow_api, draft_id, data, confirm_grants=True)
    assert confirmed.status_code == 201, confirmed.text
    audit = airflow_api.call("GET", "/audit?limit=50").json()
    entry = next(r for r in audit if r["action"] == "edit" and r["outcome"] == "ok")
    assert entry["detail"]["grants_confirmed"] == detail["grants"]
