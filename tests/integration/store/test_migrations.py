"""Store migrations on SQLite and PostgreSQL: a store made before migrations, with data in it, is
upgraded in place; the migrated schema is the models' schema; a newer store and a downgrade are
refused cleanly."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from airflow_ai_etl.store import Store
from airflow_ai_etl.store.engine import make_engine
from airflow_ai_etl.store.migrate import (
    BASELINE,
    VERSION_TABLE,
    StoreSchemaError,
    current,
    downgrade,
    head,
    package_version,
    upgrade,
)
from airflow_ai_etl.store.models import PREFIX, StoreBase

pytestmark = pytest.mark.integration

_BEFORE = Path(__file__).parents[2] / "support" / "store_v0"
_AT = "2026-01-02 03:04:05+00:00"


def _old_store(engine: Engine) -> None:
    """Today's tables, as create_all made them, holding one of everything."""
    lines = (_BEFORE / f"{engine.dialect.name}.sql").read_text().splitlines()
    ddl = "\n".join(line for line in lines if not line.startswith("--"))
    rows = [
        "INSERT INTO ai_etl_request (id, request, conn_ids, offline, state, created_by, created_at, "
        "updated_at, dag_run_id) VALUES (1, 'copy orders', '[\"shop\"]', false, 'running', 'op1', "
        f"'{_AT}', '{_AT}', 'manual__1')",
        "INSERT INTO ai_etl_event (request_id, seq, agent, message, level, input_tokens, output_tokens, "
        f"at, data) VALUES (1, 1, 'planner', 'planned', 'info', 5, 2, '{_AT}', '{{}}')",
        "INSERT INTO ai_etl_draft (id, request_id, version, dag_id, state, spec_yaml, source, report, er, "
        "created_by, created_at) VALUES "
        f"(1, 1, 1, 'orders', 'ready', 'y', 's', '{{}}', '{{}}', 'op1', '{_AT}')",
        'INSERT INTO ai_etl_audit (at, "user", action, target, outcome, detail) '
        f"VALUES ('{_AT}', 'op1', 'request', 'request:1', 'ok', '{{}}')",
    ]
    with engine.begin() as connection:
        for statement in [s for s in ddl.split(";") if s.strip()]:
            connection.execute(text(statement))
        for row in rows:
            connection.execute(text(row))


def test_a_store_made_before_migrations_is_upgraded_with_its_data(store_url: str) -> None:
    engine = make_engine(store_url)
    _old_store(engine)

    done = upgrade(engine)

    assert (done.before, done.after) == (BASELINE, head())
    with engine.connect() as connection:
        assert current(connection) == head()
    store = Store(engine)
    request = store.get_request(1)
    assert request is not None and request.request == "copy orders" and request.run_marker is None
    assert request.created_at == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert [e.message for e in store.events(1)] == ["planned"]
    assert store.get_draft(1).dag_id == "orders"  # type: ignore[union-attr]
    assert store.get_draft(1).flagged is False  # type: ignore[union-attr]  # no vote was stored: not flagged
    assert store.audit_log()[0].target == "request:1"
    assert store.add_events(1, []) == 0  # and the store works on
    assert upgrade(engine).before == head()  # a second run has nothing to do


def test_an_empty_database_is_migrated_to_the_models_schema(store_url: str) -> None:
    engine = make_engine(store_url)
    with concurrent.futures.ThreadPoolExecutor(3) as pool:  # api-server workers starting at once
        list(pool.map(lambda _: upgrade(engine), range(3)))
    with engine.connect() as connection:
        assert current(connection) == head()
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}),
            StoreBase.metadata,
        )
    assert differences == []
    tables = set(inspect(engine).get_table_names())
    assert tables == {t.name for t in StoreBase.metadata.sorted_tables} | {VERSION_TABLE}
    assert all(name.startswith(PREFIX) for name in tables)


def test_a_store_migrated_by_a_newer_version_is_refused_naming_both(store_url: str) -> None:
    engine = make_engine(store_url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '9001'"))

    with pytest.raises(StoreSchemaError) as refused:
        upgrade(engine)
    message = str(refused.value)
    assert "revision 9001" in message and f"schema revision {head()}" in message
    assert f"airflow-ai-etl {package_version()}" in message
    with pytest.raises(StoreSchemaError, match="9001"):
        Store.from_url(store_url)


def test_a_downgrade_is_refused_and_changes_nothing(store_url: str) -> None:
    engine = make_engine(store_url)
    upgrade(engine)
    store = Store(engine)
    store.create_request(request="keep me", conn_ids=[], created_by="op1")

    with pytest.raises(StoreSchemaError, match=f"cannot be downgraded below revision {head()}"):
        downgrade(engine, BASELINE)

    with engine.connect() as connection:
        assert current(connection) == head()
    assert [r.request for r in store.list_requests()] == ["keep me"]
