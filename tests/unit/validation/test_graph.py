"""Graph checks through validate_spec: ids, dependencies, cycles, unreachable steps, table order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_ai_etl.spec import PipelineSpec
from airflow_ai_etl.validation import Severity, ValidationContext, validate_spec
from airflow_ai_etl.validation.graph import check_graph

MakeSpec = Callable[..., PipelineSpec]


def sql_step(
    step_id: str, *depends_on: str, sql: str = "UPDATE orders SET status = 'x' WHERE id = 1"
) -> dict[str, Any]:
    return {"id": step_id, "kind": "sql", "conn_id": "shop_pg", "sql": sql, "depends_on": list(depends_on)}


def found(
    spec: PipelineSpec, context: ValidationContext, prefix: str = "graph."
) -> list[tuple[str, str | None]]:
    report = validate_spec(spec, context)
    return [(f.code, f.step_id) for f in report.findings if f.code.startswith(prefix)]


def test_a_clean_chain_has_no_graph_findings(make_spec: MakeSpec, context: ValidationContext) -> None:
    spec = make_spec(sql_step("a"), sql_step("b", "a"), sql_step("c", "a", "b"))
    assert found(spec, context) == []
    assert validate_spec(spec, context).ok


def test_duplicate_ids(make_spec: MakeSpec, context: ValidationContext) -> None:
    spec = make_spec(sql_step("a"), sql_step("a"), sql_step("b"))
    report = validate_spec(spec, context)
    (finding,) = [f for f in report.findings if f.code == "graph.duplicate_id"]
    assert (finding.step_id, finding.field, finding.severity) == ("a", "id", Severity.ERROR)


def test_unknown_dependency(make_spec: MakeSpec, context: ValidationContext) -> None:
    spec = make_spec(sql_step("a"), sql_step("b", "a", "ghost"))
    report = validate_spec(spec, context)
    (finding,) = report.errors
    assert (finding.code, finding.step_id, finding.field) == ("graph.unknown_dependency", "b", "depends_on")
    assert "ghost" in finding.message


def test_cycle_and_self_dependency(make_spec: MakeSpec, context: ValidationContext) -> None:
    spec = make_spec(
        sql_step("a", "c"), sql_step("b", "a"), sql_step("c", "b"), sql_step("d", "d"), sql_step("e")
    )
    assert found(spec, context) == [("graph.cycle", "a"), ("graph.cycle", "d")]


def test_steps_behind_a_cycle_or_unknown_dependency_are_unreachable(
    make_spec: MakeSpec, context: ValidationContext
) -> None:
    spec = make_spec(
        sql_step("a", "b"),
        sql_step("b", "a"),
        sql_step("after_cycle", "a"),
        sql_step("further", "after_cycle"),
        sql_step("orphan", "ghost"),
        sql_step("after_orphan", "orphan"),
        sql_step("fine"),
        sql_step("fine_too", "fine"),
    )
    assert found(spec, context) == [
        ("graph.unknown_dependency", "orphan"),
        ("graph.cycle", "a"),
        ("graph.unreachable", "after_cycle"),
        ("graph.unreachable", "further"),
        ("graph.unreachable", "after_orphan"),
    ]


def test_check_graph_alone_on_valid_steps(make_spec: MakeSpec) -> None:
    spec = make_spec(sql_step("a"), sql_step("b", "a"))
    assert check_graph(spec.steps) == []


def test_reader_not_depending_on_the_writer_is_warned(
    make_spec: MakeSpec, context: ValidationContext
) -> None:
    load = {
        "id": "load",
        "kind": "transfer",
        "source": {"conn_id": "shop_pg", "table": "orders"},
        "target": {"conn_id": "dwh_pg", "table": "analytics.orders"},
    }
    check = {
        "id": "check",
        "kind": "quality_check",
        "conn_id": "dwh_pg",
        "table": "analytics.orders",
        "checks": [{"check": "row_count", "min": 1}],
    }
    report = validate_spec(make_spec(load, check), context)
    (finding,) = [f for f in report.findings if f.code == "graph.missing_dependency"]
    assert (finding.severity, finding.step_id, finding.field) == (Severity.WARNING, "check", "depends_on")
    assert "load" in finding.message and "analytics.orders" in finding.message

    ordered = make_spec(load, {**check, "depends_on": ["load"]})
    assert found(ordered, context) == []


def test_same_table_name_on_another_connection_is_not_shared(
    make_spec: MakeSpec, context: ValidationContext
) -> None:
    writer = sql_step("writer", sql="UPDATE orders SET status = 'x' WHERE id = 1")
    reader = {
        "id": "reader",
        "kind": "quality_check",
        "conn_id": "local_sqlite",
        "table": "events",
        "checks": [{"check": "row_count"}],
    }
    assert found(make_spec(writer, reader), context) == []


def test_sql_steps_reading_what_another_writes(make_spec: MakeSpec, context: ValidationContext) -> None:
    create = sql_step("create", sql="CREATE TABLE IF NOT EXISTS daily AS SELECT customer_id FROM orders")
    use = sql_step("use", sql="INSERT INTO customers (id) SELECT customer_id FROM daily")
    assert found(make_spec(create, use), context) == [("graph.missing_dependency", "use")]
    assert found(make_spec(create, {**use, "depends_on": ["create"]}), context) == []
