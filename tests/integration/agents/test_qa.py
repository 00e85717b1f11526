"""qa_check against real sources: validation, the read-only dry run, and the score."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from airflow_ai_etl.agents.qa import ERROR_WEIGHT, WARNING_WEIGHT, qa_check
from airflow_ai_etl.catalog.connections import ConnectionInfo
from airflow_ai_etl.spec.io import parse_spec
from airflow_ai_etl.spec.models import PipelineSpec
from airflow_ai_etl.validation.context import ValidationContext, context_from_airflow

pytestmark = pytest.mark.integration

PG_DDL = """
CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer, amount numeric(10,2), placed_at timestamp);
CREATE TABLE orders_copy (id integer PRIMARY KEY, customer_id integer, amount numeric(10,2));
INSERT INTO orders SELECT i, i % 5, i * 2.5, now() FROM generate_series(1, 10) AS i;
"""


def _spec(
    conn_id: str, sql: str, condition: str = "amount >= 0", target: str = "orders_copy"
) -> PipelineSpec:
    data: dict[str, Any] = {
        "dag_id": "orders_copy",
        "start_date": "2026-01-01",
        "steps": [
            {
                "id": "load_orders",
                "kind": "transfer",
                "source": {"conn_id": conn_id, "sql": sql},
                "target": {"conn_id": conn_id, "table": target},
                "mode": "upsert",
                "key": ["id"],
            },
            {
                "id": "check_orders",
                "kind": "quality_check",
                "conn_id": conn_id,
                "table": target,
                "checks": [{"check": "expression", "name": "amount_ok", "condition": condition}],
                "depends_on": ["load_orders"],
            },
        ],
    }
    return parse_spec(data)


@pytest.fixture
def shop_pg(pg_database: Callable[[], str], airflow_conn: Callable[..., None]) -> str:
    uri = pg_database()
    with psycopg2.connect(uri) as conn, conn.cursor() as cur:
        cur.execute(PG_DDL)
    airflow_conn("shop_pg", uri)
    return uri


def _outcomes(result: Any) -> dict[tuple[str, str], str]:
    return {(r.step_id, r.field): r.outcome for r in result.dry_runs}


def test_a_good_spec_passes_its_dry_runs_and_scores_one(shop_pg: str) -> None:
    spec = _spec("shop_pg", "SELECT id, customer_id, amount FROM orders")

    result = qa_check(spec, context_from_airflow(spec))

    assert result.report.ok, result.report.to_text()
    assert result.score == 1.0 and result.deductions == []
    assert _outcomes(result) == {
        ("load_orders", "source.sql"): "passed",
        ("check_orders", "checks[0].condition"): "passed",
    }


def test_sql_that_validates_but_fails_on_the_database_is_an_error_naming_the_step(shop_pg: str) -> None:
    spec = _spec(
        "shop_pg",
        "SELECT id, customer_id, amount FROM orders WHERE amount > 1 / 0",  # planning folds 1/0: an error
        condition="amount ~ '^[0-9]+'",
    )
    context = context_from_airflow(spec)

    result = qa_check(spec, context)
    without_dry_run = qa_check(spec, context, dry_run=False)

    assert without_dry_run.report.ok and without_dry_run.score == 1.0 and without_dry_run.dry_runs == []
    failed = [(f.code, f.step_id, f.field) for f in result.report.errors]
    assert failed == [
        ("qa.dry_run_failed", "load_orders", "source.sql"),
        ("qa.dry_run_failed", "check_orders", "checks[0].condition"),
    ]
    assert result.score == pytest.approx(1 - 2 * ERROR_WEIGHT)
    assert [d.code for d in result.deductions] == ["qa.dry_run_failed", "qa.dry_run_failed"]


def test_the_dry_run_changes_nothing(shop_pg: str) -> None:
    spec = _spec("shop_pg", "SELECT id, customer_id, amount FROM orders")

    qa_check(spec, context_from_airflow(spec))

    with psycopg2.connect(shop_pg) as conn, conn.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM orders_copy)")
        assert cur.fetchone() == (10, 0)


def test_a_step_with_validation_errors_is_not_dry_run(shop_pg: str) -> None:
    spec = _spec("shop_pg", "SELECT id, customer_id, no_such_column FROM orders")

    result = qa_check(spec, context_from_airflow(spec))

    assert "sql.unknown_column" in result.report.codes()
    assert "qa.dry_run_failed" not in result.report.codes()
    assert _outcomes(result)[("load_orders", "source.sql")] == "skipped"


def test_an_unreachable_source_is_a_warning(shop_pg: str, airflow_conn: Callable[..., None]) -> None:
    spec = _spec("down_pg", "SELECT id, customer_id, amount FROM orders")
    real = context_from_airflow(_spec("shop_pg", "SELECT 1")).catalogs["shop_pg"]
    airflow_conn("down_pg", "postgresql://postgres@127.0.0.1:1/nowhere")
    context = ValidationContext(
        connections={"down_pg": ConnectionInfo("down_pg", "postgres", "postgres")},
        catalogs={"down_pg": real.model_copy(update={"conn_id": "down_pg"})},
    )

    result = qa_check(spec, context)

    assert result.report.ok
    assert {f.code for f in result.report.warnings} == {"qa.dry_run_unavailable"}
    assert result.score == pytest.approx(1 - 2 * WARNING_WEIGHT)


def test_sqlite_source_dry_run(tmp_path: Path, airflow_conn: Callable[..., None]) -> None:
    path = tmp_path / "shop.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, amount REAL);"
            "CREATE TABLE orders_copy (id INTEGER PRIMARY KEY, customer_id INTEGER, amount REAL);"
        )
    airflow_conn("shop_lite", conn_type="sqlite", host=str(path))
    good = _spec("shop_lite", "SELECT id, customer_id, amount FROM orders")
    bad = _spec("shop_lite", "SELECT id, customer_id, amount FROM orders WHERE likelihood(amount > 0, 2.0)")

    good_result = qa_check(good, context_from_airflow(good))
    bad_result = qa_check(bad, context_from_airflow(bad))

    assert good_result.report.ok and good_result.score == 1.0, good_result.report.to_text()
    assert [(f.code, f.step_id) for f in bad_result.report.errors] == [("qa.dry_run_failed", "load_orders")]
