"""Transfer steps: source and target tables, column matching, types, key and watermark."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from airflow_ai_etl.catalog import Function
from airflow_ai_etl.spec import PipelineSpec
from airflow_ai_etl.validation import Finding, Severity, ValidationContext, validate_spec

MakeSpec = Callable[..., PipelineSpec]


def transfer(source: dict[str, Any], target: str = "analytics.orders", **fields: Any) -> dict[str, Any]:
    return {
        "id": "load",
        "kind": "transfer",
        "source": {"conn_id": "shop_pg", **source},
        "target": {"conn_id": "dwh_pg", "table": target},
        **fields,
    }


def findings(spec: PipelineSpec, context: ValidationContext) -> list[Finding]:
    return validate_spec(spec, context).findings


def test_matching_query_and_table_transfer_are_valid(make_spec: MakeSpec, context: ValidationContext) -> None:
    by_query = transfer({"sql": "SELECT id, customer_id, amount, status, note, updated_at FROM orders"})
    by_table = transfer({"table": "public.orders"}, mode="upsert", key=["id"])
    incremental = transfer({"sql": "SELECT * FROM orders"}, mode="incremental", watermark="updated_at")
    for step in (by_query, by_table, incremental):
        assert findings(make_spec(step), context) == []


def test_source_sql_problems_carry_step_and_field(make_spec: MakeSpec, context: ValidationContext) -> None:
    spec = make_spec(transfer({"sql": "SELECT id, totl FROM orders"}))
    (finding,) = findings(spec, context)
    assert (finding.code, finding.step_id, finding.field) == ("sql.unknown_column", "load", "source.sql")


def test_source_sql_must_be_a_read(make_spec: MakeSpec, context: ValidationContext) -> None:
    spec = make_spec(transfer({"sql": "WITH d AS (DELETE FROM orders RETURNING *) SELECT * FROM d"}))
    assert [f.code for f in findings(spec, context)] == ["sql.statement_not_allowed"]


def test_unknown_source_and_target_tables(make_spec: MakeSpec, context: ValidationContext) -> None:
    spec = make_spec(transfer({"table": "order_lines"}, target="analytics.order_lines"))
    result = [(f.code, f.field) for f in findings(spec, context)]
    assert result == [("sql.unknown_table", "source.table"), ("sql.unknown_table", "target.table")]
    messages = " ".join(f.message for f in findings(spec, context))
    assert "order_lines" in messages and "analytics.order_lines" in messages


def test_a_missing_target_is_fine_when_the_transfer_creates_it(
    make_spec: MakeSpec, context: ValidationContext
) -> None:
    step = transfer({"table": "public.orders"}, target="analytics.order_copy", create_target=True)
    assert findings(make_spec(step), context) == []


def test_column_missing_in_target(make_spec: MakeSpec, context: ValidationContext) -> None:
    spec = make_spec(transfer({"sql": "SELECT id, amount AS total FROM orders"}))
    (finding,) = findings(spec, context)
    assert (finding.code, finding.field) == ("transfer.column_missing_in_target", "source.sql")
    assert "total" in finding.message and "analytics.orders" in finding.message


def test_duplicate_source_columns(make_spec: MakeSpec, context: ValidationContext) -> None:
    sql = "SELECT o.id, c.id FROM orders o JOIN customers c ON c.id = o.customer_id"
    assert [f.code for f in findings(make_spec(transfer({"sql": sql})), context)] == [
        "transfer.duplicate_column"
    ]


@pytest.mark.parametrize(
    ("select", "column"),
    [
        ("SELECT big.id FROM big_events big", "id"),  # bigint -> smallint
        ("SELECT amount FROM orders", "amount"),  # numeric(12,2) -> integer
        ("SELECT updated_at FROM orders", "updated_at"),  # timestamp -> date
        ("SELECT status FROM orders", "status"),  # text -> integer
    ],
)
def test_narrowing_or_incompatible_types(
    make_spec: MakeSpec, context: ValidationContext, select: str, column: str
) -> None:
    spec = make_spec(transfer({"sql": select}, target="analytics.narrow_orders"))
    (finding,) = findings(spec, context)
    assert (finding.code, finding.severity) == ("transfer.type_mismatch", Severity.ERROR)
    assert column in finding.message


def test_widening_and_casts_are_fine(make_spec: MakeSpec, context: ValidationContext) -> None:
    # integer -> bigint, numeric(12,2) -> numeric(14,2), varchar(200) -> text, timestamp -> timestamptz
    assert (
        findings(make_spec(transfer({"sql": "SELECT id, amount, note, updated_at FROM orders"})), context)
        == []
    )
    cast = "SELECT CAST(id AS smallint) AS id, CAST(updated_at AS date) AS updated_at FROM orders"
    assert findings(make_spec(transfer({"sql": cast}, target="analytics.narrow_orders")), context) == []


def test_unknown_type_is_a_warning(make_spec: MakeSpec, context: ValidationContext) -> None:
    shop = context.catalogs["shop_pg"]
    stable_udf = Function(name="some_udf", schema_name="public", argument_types=["text"], volatility="stable")
    context = replace(
        context, catalogs={**context.catalogs, "shop_pg": shop.model_copy(update={"functions": [stable_udf]})}
    )
    spec = make_spec(transfer({"sql": "SELECT id, some_udf(status) AS status FROM orders"}))
    result = findings(spec, context)
    assert [(f.code, f.severity) for f in result] == [("transfer.type_unknown", Severity.WARNING)]
    assert validate_spec(spec, context).ok


def test_required_target_column_not_filled_is_a_warning(
    make_spec: MakeSpec, context: ValidationContext
) -> None:
    spec = make_spec(transfer({"sql": "SELECT id FROM orders"}, target="analytics.strict_orders"))
    (finding,) = findings(spec, context)
    assert (finding.code, finding.severity) == ("transfer.target_column_required", Severity.WARNING)
    assert "loaded_by" in finding.message


def test_key_must_be_in_source_and_target(make_spec: MakeSpec, context: ValidationContext) -> None:
    spec = make_spec(
        transfer({"sql": "SELECT id, amount FROM orders"}, mode="upsert", key=["id", "order_no"])
    )
    (finding,) = findings(spec, context)
    assert (finding.code, finding.field) == ("transfer.key_missing", "key")
    assert "order_no" in finding.message

    missing_in_source = transfer({"sql": "SELECT amount FROM orders"}, mode="upsert", key=["id"])
    (finding,) = [
        f for f in findings(make_spec(missing_in_source), context) if f.code == "transfer.key_missing"
    ]
    assert "source" in finding.message and "target" not in finding.message


def test_watermark_must_be_in_source_and_target(make_spec: MakeSpec, context: ValidationContext) -> None:
    step = transfer({"sql": "SELECT id, amount FROM orders"}, mode="incremental", watermark="updated_at")
    (finding,) = findings(make_spec(step), context)
    assert (finding.code, finding.field) == ("transfer.watermark_missing", "watermark")
    assert "updated_at" in finding.message


def test_transfer_into_sqlite(make_spec: MakeSpec, context: ValidationContext) -> None:
    good = {**transfer({"sql": "SELECT id, status AS kind, updated_at AS ts, amount FROM orders"})}
    good["target"] = {"conn_id": "local_sqlite", "table": "events"}
    assert findings(make_spec(good), context) == []
    bad = {**good, "source": {"conn_id": "local_sqlite", "sql": "SELECT id, raw AS kind FROM events"}}
    bad["target"] = {"conn_id": "dwh_pg", "table": "analytics.orders"}
    assert [f.code for f in findings(make_spec(bad), context)] == ["transfer.column_missing_in_target"]
    blob = {**bad, "source": {"conn_id": "local_sqlite", "sql": "SELECT id, raw AS status FROM events"}}
    assert [f.code for f in findings(make_spec(blob), context)] == ["transfer.type_mismatch"]


def test_target_created_by_an_earlier_sql_step(make_spec: MakeSpec, context: ValidationContext) -> None:
    create = {
        "id": "create",
        "kind": "sql",
        "conn_id": "dwh_pg",
        "sql": "CREATE TABLE IF NOT EXISTS analytics.order_totals (customer_id bigint, total numeric(8,2))",
    }
    load = {
        **transfer(
            {"sql": "SELECT customer_id, amount AS total FROM orders"}, target="analytics.order_totals"
        ),
        "depends_on": ["create"],
    }
    result = findings(make_spec(create, load), context)
    # numeric(12,2) into numeric(8,2): the created table's columns are known and checked
    assert [(f.code, f.step_id) for f in result] == [("transfer.type_mismatch", "load")]

    alone = {**load, "depends_on": []}
    assert [f.code for f in findings(make_spec(alone), context)] == ["sql.unknown_table"]


def test_target_created_as_select_or_view(make_spec: MakeSpec, context: ValidationContext) -> None:
    create = {
        "id": "create",
        "kind": "sql",
        "conn_id": "dwh_pg",
        "sql": "CREATE TABLE IF NOT EXISTS analytics.ids AS SELECT id FROM analytics.orders",
    }
    load = {
        **transfer({"sql": "SELECT id, status FROM orders"}, target="analytics.ids"),
        "depends_on": ["create"],
    }
    result = findings(make_spec(create, load), context)
    assert [(f.code, f.step_id) for f in result] == [("transfer.column_missing_in_target", "load")]
    assert "status" in result[0].message


def test_schema_unknown_skips_checks_with_a_warning(make_spec: MakeSpec, context: ValidationContext) -> None:
    step = transfer({"sql": "SELECT id FROM orders"})
    step["target"] = {"conn_id": "dark_pg", "table": "x.y"}
    report = validate_spec(make_spec(step), context)
    assert report.ok
    (warning,) = report.warnings
    assert warning.code == "schema.unknown"
    assert "dark_pg" in warning.message and "timeout" in warning.message
