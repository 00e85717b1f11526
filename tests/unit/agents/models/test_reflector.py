"""The reflector: routing findings to the agent that owns them, bounded rounds, early stop."""

from __future__ import annotations

from airflow_ai_etl.agents.reflector import Reflector, route
from airflow_ai_etl.spec import parse_spec
from airflow_ai_etl.validation.report import Finding, Report, Severity


def _finding(
    code: str, step_id: str | None = None, field: str | None = None, severity=Severity.ERROR
) -> Finding:
    return Finding(severity=severity, code=code, message=code, step_id=step_id, field=field)


def test_sql_findings_go_to_the_sql_expert_for_their_statement(make_spec_data) -> None:
    spec = parse_spec(make_spec_data())
    findings = [
        _finding("sql.unknown_column", "load_orders", "source.sql"),
        _finding("sql.parse_error", "total"),  # no field: the step's one statement
        _finding("sql.unknown_table", "load_orders", "source.sql"),
        _finding("schema.unknown_table", "load_orders", "target.table"),
        _finding("graph.cycle"),
        _finding("spec.unknown_connection", "total", "conn_id"),
    ]
    request = route(spec, findings)
    assert [(r.step_id, r.field, [f.code for f in r.findings]) for r in request.sql] == [
        ("load_orders", "source.sql", ["sql.unknown_column", "sql.unknown_table"]),
        ("total", "sql", ["sql.parse_error"]),
    ]
    assert [f.code for f in request.planner] == [
        "schema.unknown_table",
        "graph.cycle",
        "spec.unknown_connection",
    ]


def test_stops_when_the_same_findings_come_back(make_spec_data) -> None:
    spec = parse_spec(make_spec_data())
    reflector = Reflector(max_rounds=3)
    report = Report(findings=[_finding("sql.unknown_column", "load_orders", "source.sql")])
    first = reflector.reflect(spec, report)
    assert first.repair is not None and reflector.rounds == 1
    again = reflector.reflect(spec, Report(findings=list(report.findings)))
    assert again.repair is None and "same findings" in (again.stop_reason or "")
    assert reflector.rounds == 1


def test_rounds_are_bounded(make_spec_data) -> None:
    spec = parse_spec(make_spec_data())
    reflector = Reflector(max_rounds=2)
    codes = ["sql.a", "sql.b", "sql.c"]
    outcomes = [reflector.reflect(spec, Report(findings=[_finding(c, "total", "sql")])) for c in codes]
    assert [o.repair is not None for o in outcomes] == [True, True, False]
    assert "2 repair round(s)" in (outcomes[-1].stop_reason or "")


def test_warnings_are_not_repaired(make_spec_data) -> None:
    spec = parse_spec(make_spec_data())
    reflection = Reflector().reflect(
        spec, Report(findings=[_finding("schema.unknown", severity=Severity.WARNING)])
    )
    assert reflection.repair is None


def _unknown_column(name: str) -> Finding:
    return Finding(
        severity=Severity.ERROR,
        code="sql.unknown_column",
        message=f"unknown column {name}",
        step_id="load_orders",
        field="source.sql",
    )


def test_fewer_findings_of_the_same_code_are_progress(make_spec_data) -> None:
    """Two unknown columns, then one: the same code at the same place, but progress."""
    spec = parse_spec(make_spec_data())
    reflector = Reflector(max_rounds=3)
    two = reflector.reflect(spec, Report(findings=[_unknown_column("a"), _unknown_column("b")]))
    one = reflector.reflect(spec, Report(findings=[_unknown_column("b")]))
    assert two.repair is not None and one.repair is not None and reflector.rounds == 2
    assert [(r.round, r.errors) for r in reflector.history] == [(1, 2), (2, 1)]
    assert reflector.history[1].findings == ["sql.unknown_column at load_orders.source.sql: unknown column b"]
    assert reflector.history[1].sql == ["load_orders.source.sql"]


def test_a_set_recurring_from_an_earlier_round_stops_the_loop(make_spec_data) -> None:
    """a -> b -> a: changing, but in a circle."""
    spec = parse_spec(make_spec_data())
    reflector = Reflector(max_rounds=5)
    outcomes = [reflector.reflect(spec, Report(findings=[_unknown_column(name)])) for name in ("a", "b", "a")]
    assert [o.repair is not None for o in outcomes] == [True, True, False]
    assert "before the first repair" in (outcomes[-1].stop_reason or "")
    assert len(reflector.history) == 2
