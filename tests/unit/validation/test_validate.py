"""validate_spec and validate_document: connections, reserved kinds, sql and quality steps, schema errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_ai_etl.spec import PipelineSpec
from airflow_ai_etl.validation import Severity, ValidationContext, validate_document, validate_spec

MakeSpec = Callable[..., PipelineSpec]


def quality(table: str = "orders", *checks: dict[str, Any], conn_id: str = "shop_pg") -> dict[str, Any]:
    return {
        "id": "check",
        "kind": "quality_check",
        "conn_id": conn_id,
        "table": table,
        "checks": list(checks) or [{"check": "row_count"}],
    }


def where(spec: PipelineSpec, context: ValidationContext) -> list[tuple[str, str | None, str | None]]:
    return [(f.code, f.step_id, f.field) for f in validate_spec(spec, context).findings]


# --- connections ----------------------------------------------------------------------------------


def test_unknown_connections_are_errors_naming_the_field(
    make_spec: MakeSpec, context: ValidationContext
) -> None:
    step = {
        "id": "load",
        "kind": "transfer",
        "source": {"conn_id": "nope_src", "table": "orders"},
        "target": {"conn_id": "dwh_pg", "table": "analytics.orders"},
    }
    spec = make_spec(step, on_failure={"notify": "email", "to": ["a@b.io"], "smtp_conn_id": "nope_smtp"})
    report = validate_spec(spec, context)
    assert [(f.code, f.step_id, f.field) for f in report.findings] == [
        ("spec.unknown_connection", "load", "source.conn_id"),
        ("spec.unknown_connection", None, "on_failure.smtp_conn_id"),
    ]
    assert "nope_src" in report.findings[0].message


def test_defined_connections_pass(make_spec: MakeSpec, context: ValidationContext) -> None:
    spec = make_spec(quality(), on_failure={"notify": "email", "to": ["a@b.io"], "smtp_conn_id": "dwh_pg"})
    assert validate_spec(spec, context).findings == []


# --- sql steps ------------------------------------------------------------------------------------


def test_sql_step_findings_have_step_and_field(make_spec: MakeSpec, context: ValidationContext) -> None:
    step = {"id": "wipe", "kind": "sql", "conn_id": "shop_pg", "sql": "DELETE FROM orders"}
    assert where(make_spec(step), context) == [("sql.destructive", "wipe", "sql")]
    granted = {**step, "allow_destructive": [{"operation": "delete", "table": "orders"}]}
    assert where(make_spec(granted), context) == []


def test_sql_step_dialect_comes_from_the_connection(make_spec: MakeSpec, context: ValidationContext) -> None:
    pg_only = "UPDATE orders SET note = note || '!' WHERE id::text = '1'"
    assert where(make_spec({"id": "s", "kind": "sql", "conn_id": "shop_pg", "sql": pg_only}), context) == []
    backticks = "UPDATE users SET name = `name` WHERE id = 1"  # SQLite (MySQL) quoting, not PostgreSQL
    assert (
        where(make_spec({"id": "s", "kind": "sql", "conn_id": "local_sqlite", "sql": backticks}), context)
        == []
    )
    step = {"id": "s", "kind": "sql", "conn_id": "shop_pg", "sql": backticks.replace("users", "customers")}
    assert where(make_spec(step), context) == [("sql.parse_error", "s", "sql")]


def test_tables_created_earlier_are_known_later(make_spec: MakeSpec, context: ValidationContext) -> None:
    create = {
        "id": "create",
        "kind": "sql",
        "conn_id": "shop_pg",
        "sql": "CREATE VIEW IF NOT EXISTS paid AS SELECT id, amount FROM orders WHERE status = 'paid'",
    }
    use = {
        "id": "use",
        "kind": "sql",
        "conn_id": "shop_pg",
        "sql": "INSERT INTO customers (id) SELECT id FROM paid WHERE amount > 0",
        "depends_on": ["create"],
    }
    assert where(make_spec(create, use), context) == []
    wrong_column = {**use, "sql": "INSERT INTO customers (id) SELECT id FROM paid WHERE status = 'x'"}
    assert where(make_spec(create, wrong_column), context) == [("sql.unknown_column", "use", "sql")]
    # created on another connection: not known here
    elsewhere = {**create, "conn_id": "dwh_pg", "sql": create["sql"].replace("orders", "analytics.orders")}
    assert where(make_spec(elsewhere, use), context) == [("sql.unknown_table", "use", "sql")]


# --- quality checks -------------------------------------------------------------------------------


def test_quality_check_table_must_exist(make_spec: MakeSpec, context: ValidationContext) -> None:
    spec = make_spec(quality("order_lines"))
    report = validate_spec(spec, context)
    assert [(f.code, f.step_id, f.field) for f in report.findings] == [
        ("sql.unknown_table", "check", "table")
    ]
    assert "order_lines" in report.findings[0].message


def test_quality_column_checks_name_existing_columns(make_spec: MakeSpec, context: ValidationContext) -> None:
    spec = make_spec(
        quality(
            "orders",
            {"column": "id", "check": "unique"},
            {"column": "amout", "check": "not_null"},
            {"check": "expression", "name": "positive", "condition": "amount >= 0"},
            {"check": "expression", "name": "typo", "condition": "totl >= 0"},
            {"check": "expression", "name": "sneaky", "condition": "amount >= 0 OR (SELECT true)"},
        )
    )
    report = validate_spec(spec, context)
    assert [(f.code, f.field) for f in report.findings] == [
        ("sql.unknown_column", "checks[1].column"),
        ("sql.unknown_column", "checks[3].condition"),
        ("quality.condition_invalid", "checks[4].condition"),
    ]
    assert "amout" in report.findings[0].message and "totl" in report.findings[1].message


def test_quality_check_on_sqlite(make_spec: MakeSpec, context: ValidationContext) -> None:
    good = quality(
        "events", {"check": "expression", "name": "pos", "condition": "amount >= 0"}, conn_id="local_sqlite"
    )
    assert where(make_spec(good), context) == []
    bad = quality("events", {"column": "size", "check": "not_null"}, conn_id="local_sqlite")
    assert where(make_spec(bad), context) == [("sql.unknown_column", "check", "checks[0].column")]


def test_quality_check_on_a_table_created_earlier(make_spec: MakeSpec, context: ValidationContext) -> None:
    create = {
        "id": "create",
        "kind": "sql",
        "conn_id": "shop_pg",
        "sql": "CREATE TABLE IF NOT EXISTS daily (day date, total numeric(14,2))",
    }
    check = {
        **quality("daily", {"check": "expression", "name": "pos", "condition": "total >= 0"}),
        "depends_on": ["create"],
    }
    assert where(make_spec(create, check), context) == []


# --- documents ------------------------------------------------------------------------------------


def _document(**overrides: Any) -> dict[str, Any]:
    step = {
        "id": "check",
        "kind": "quality_check",
        "conn_id": "shop_pg",
        "table": "orders",
        "checks": [{"check": "row_count"}],
    }
    return {"dag_id": "doc", "start_date": "2026-01-01", "steps": [step], **overrides}


def test_validate_document_turns_schema_errors_into_findings() -> None:
    data = _document()
    data["steps"][0]["checks"] = [{"check": "unique"}]  # column checks need 'column'
    data["steps"][0]["colour"] = "red"
    spec, report = validate_document(data)
    assert spec is None
    assert not report.ok
    assert {(f.code, f.step_id) for f in report.findings} == {("spec.schema", "check")}
    assert "colour" in {f.field for f in report.findings}


def test_validate_document_schedule_has_its_own_code() -> None:
    spec, report = validate_document(_document(schedule="every day"))
    assert spec is None
    assert [(f.code, f.step_id, f.field, f.severity) for f in report.findings] == [
        ("spec.schedule", None, "schedule", Severity.ERROR)
    ]
    assert "every day" in report.findings[0].message


def test_validate_document_non_mapping() -> None:
    spec, report = validate_document(["not", "a", "spec"])
    assert spec is None
    assert report.codes() == ["spec.schema"]


def test_validate_document_valid(context: ValidationContext) -> None:
    spec, report = validate_document(_document())
    assert spec is not None and spec.dag_id == "doc"
    assert report.findings == []
    spec, report = validate_document(_document(), context=context)
    assert spec is not None and report.ok


def test_validate_document_with_context_runs_validate_spec(context: ValidationContext) -> None:
    data = _document()
    data["steps"][0]["table"] = "missing_table"
    spec, report = validate_document(data, context=context)
    assert spec is not None
    assert report.codes() == ["sql.unknown_table"]
