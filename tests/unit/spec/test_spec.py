"""PipelineSpec v1: what the schema accepts, what it refuses, and how errors name the field."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from airflow_ai_etl.spec import (
    PipelineSpec,
    SpecError,
    TransferMode,
    dumps_spec,
    load_spec,
    loads_spec,
    parse_spec,
    spec_hash,
    spec_json_schema,
)

BASE: dict[str, Any] = {
    "spec_version": 1,
    "dag_id": "orders_to_dwh",
    "description": "Nightly load of new orders",
    "request": "every night at 2 load new orders",
    "schedule": "0 2 * * *",
    "start_date": "2026-01-01",
    "owner": "data-eng",
    "steps": [
        {
            "id": "load_orders",
            "kind": "transfer",
            "source": {"conn_id": "shop_pg", "sql": "SELECT * FROM public.orders"},
            "target": {"conn_id": "dwh", "table": "analytics.orders"},
            "mode": "incremental",
            "key": ["order_id"],
            "watermark": "updated_at",
        },
        {
            "id": "check_orders",
            "kind": "quality_check",
            "conn_id": "dwh",
            "table": "analytics.orders",
            "depends_on": ["load_orders"],
            "checks": [
                {"column": "order_id", "check": "unique"},
                {"column": "amount", "check": "min", "bounds": {"geq_to": 0}},
                {"check": "row_count", "min": 1},
                {"check": "row_count_change", "max_drop_pct": 50},
                {"check": "expression", "name": "positive_amount", "condition": "amount >= 0"},
            ],
        },
    ],
    "on_failure": {"notify": "email", "to": ["data-eng@example.com"]},
}


def with_change(path: str, value: Any) -> dict[str, Any]:
    """BASE with one value replaced (or removed when value is ...); path like 'steps.0.mode'."""
    data = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return data


def problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as info:
        parse_spec(data)
    return info.value.problems


def test_full_spec_parses() -> None:
    spec = parse_spec(copy.deepcopy(BASE))
    assert spec.dag_id == "orders_to_dwh"
    assert spec.step("load_orders").mode is TransferMode.INCREMENTAL
    assert [type(c).__name__ for c in spec.step("check_orders").checks] == [
        "ColumnCheck",
        "ColumnCheck",
        "RowCountCheck",
        "RowCountChangeCheck",
        "ExpressionCheck",
    ]


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("dag_id", "orders-to dwh", "dag_id"),
        ("schedule", "0 25 * * *", "schedule"),
        ("schedule", "every night", "schedule"),
        ("schedule", "@sometimes", "schedule"),
        ("start_date", "yesterday", "start_date"),
        ("retries", -1, "retries"),
        ("steps", [], "steps"),
        ("steps.0.id", "Load Orders", "steps[0](Load Orders).id"),
        ("steps.0.kind", "teleport", "steps[0](load_orders)"),
        ("steps.0.mode", "merge", "steps[0](load_orders).mode"),
        ("steps.0.extra", 1, "steps[0](load_orders).extra"),
        ("steps.0.target.table", "analytics.orders; DROP TABLE x", "steps[0](load_orders).target.table"),
        ("steps.0.source.conn_id", "shop pg", "steps[0](load_orders).source.conn_id"),
        ("steps.1.checks.0.check", "sorted", "steps[1](check_orders).checks[0]"),
        ("steps.1.checks.1.bounds", ..., "steps[1](check_orders).checks[1]"),
        ("on_failure.to", ["not-an-address"], "on_failure.to[0]"),
        ("surprise", True, "surprise"),
    ],
)
def test_invalid_values_name_their_field(path: str, value: Any, field: str) -> None:
    found = problems(with_change(path, value))
    assert field in [p for p, _ in found], found


@pytest.mark.parametrize(
    ("step_change", "message_part"),
    [
        ({"mode": "upsert", "key": [], "watermark": None}, "needs 'key'"),
        ({"mode": "incremental", "watermark": None}, "needs 'watermark'"),
        ({"mode": "append"}, "only used with mode 'incremental'"),
        ({"key": ["order_id", "order_id"]}, "twice"),
        ({"source": {"conn_id": "shop_pg"}}, "exactly one of 'sql' or 'table'"),
        ({"source": {"conn_id": "shop_pg", "sql": "SELECT 1", "table": "orders"}}, "exactly one"),
    ],
)
def test_transfer_mode_rules(step_change: dict[str, Any], message_part: str) -> None:
    data = copy.deepcopy(BASE)
    data["steps"][0].update(step_change)
    data["steps"][0] = {k: v for k, v in data["steps"][0].items() if v is not None}
    assert any(message_part in message for _, message in problems(data))


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM orders WHERE day = '{{ ds }}'",
        "SELECT 1 {% if x %}",
        "SELECT 1 {# note #}",
        "queries/load.sql",
        "SELECT 1 -- run.sql",
    ],
)
def test_sql_is_literal_not_a_template(sql: str) -> None:
    found = problems(with_change("steps.0.source.sql", sql))
    assert [p for p, _ in found] == ["steps[0](load_orders).source.sql"]


@pytest.mark.parametrize("schedule", [None, "@daily", "@once", "*/15 * * * *", "0 6 * * 1-5", "0 0 1 * *"])
def test_valid_schedules(schedule: str | None) -> None:
    assert parse_spec(with_change("schedule", schedule)).schedule == schedule


def test_reserved_kinds_are_in_the_schema() -> None:
    schema = spec_json_schema()
    text = json.dumps(schema)
    for kind in ("file_load", "file_export", "kafka_ingest", "spark_sql"):
        assert f'"{kind}"' in text
    assert schema["title"] == "PipelineSpec"
    assert schema["additionalProperties"] is False


def test_yaml_round_trip_and_hash_is_stable() -> None:
    spec = parse_spec(copy.deepcopy(BASE))
    text = dumps_spec(spec)
    again = loads_spec(text)
    assert again == spec
    assert spec_hash(again) == spec_hash(spec)
    assert dumps_spec(again) == text
    assert loads_spec(dumps_spec(spec, "json")) == spec


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT o.order_id,\n       o.amount\nFROM public.orders AS o\nWHERE o.amount > 0",
        "SELECT order_id, customer_id, amount, created_at, updated_at FROM public.orders WHERE amount > 0 "
        "AND status <> 'cancelled'",
        "SELECT 1 AS n\n\nUNION ALL\nSELECT 2 AS n",
    ],
)
def test_sql_is_dumped_as_a_literal_block_and_read_back_unchanged(sql: str) -> None:
    data = copy.deepcopy(BASE)
    data["steps"][0]["source"]["sql"] = sql
    text = dumps_spec(parse_spec(data))
    sql_line = next(line for line in text.splitlines() if line.strip().startswith("sql:"))
    assert sql_line.split("sql:")[1].strip() in ("|", "|-"), text
    assert "\\n" not in text and '"SELECT' not in text
    assert loads_spec(text).steps[0].source.sql == sql  # type: ignore[union-attr]


def test_hash_changes_with_content_but_not_key_order() -> None:
    spec = parse_spec(copy.deepcopy(BASE))
    reordered = parse_spec(dict(reversed(list(copy.deepcopy(BASE).items()))))
    assert spec_hash(reordered) == spec_hash(spec)
    assert spec_hash(parse_spec(with_change("retries", 3))) != spec_hash(spec)


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("dag_id: x\nsteps: [\n  - id: a\n", encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert str(path) in str(info.value)
    assert "line" in info.value.problems[0][1]


def test_missing_file_and_non_mapping(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="file not found"):
        load_spec(tmp_path / "nope.yaml")
    with pytest.raises(SpecError, match="expected a mapping"):
        loads_spec("- just\n- a list\n")


def test_unknown_fields_are_errors_everywhere() -> None:
    assert problems(with_change("steps.0.source.query", "SELECT 1")) == [
        ("steps[0](load_orders).source.query", "unknown field")
    ]


def test_model_is_strict_on_assignment() -> None:
    spec = PipelineSpec.model_validate(copy.deepcopy(BASE))
    with pytest.raises(ValueError):
        spec.schedule = "not cron"


@pytest.mark.parametrize(
    ("checks", "message"),
    [
        ([{"column": "a", "check": "unique"}, {"column": "A", "check": "unique"}], "'unique' more than once"),
        (
            [
                {"check": "row_count_change", "max_drop_pct": 1},
                {"check": "row_count_change", "max_drop_pct": 2},
            ],
            "at most one row_count_change",
        ),
        (
            [
                {"check": "expression", "name": "e", "condition": "a > 0"},
                {"check": "expression", "name": "e", "condition": "a < 9"},
            ],
            "named 'e'",
        ),
    ],
)
def test_a_check_appears_once_per_step(checks: list[dict[str, Any]], message: str) -> None:
    found = problems(with_change("steps.1.checks", checks))
    assert [p for p, _ in found] == ["steps[1](check_orders)"]
    assert message in found[0][1]


def test_different_checks_on_one_column_are_fine() -> None:
    checks = [
        {"column": "a", "check": "unique"},
        {"column": "a", "check": "not_null"},
        {"check": "row_count"},
    ]
    assert len(parse_spec(with_change("steps.1.checks", checks)).step("check_orders").checks) == 3
