"""render_dag: the DAG a spec becomes, byte-for-byte stable, formatted, with a readable header."""

from __future__ import annotations

import ast
import copy
import datetime as dt
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_ai_etl.render import GENERATED_MARKER, RenderError, read_header, render_dag
from airflow_ai_etl.spec import parse_spec, spec_hash


def render(data: dict[str, Any]) -> str:
    return render_dag(parse_spec(data))


def reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(v) for v in value]
    return value


def test_same_spec_gives_identical_bytes_whatever_the_key_order(spec_data: dict[str, Any]) -> None:
    first = render(spec_data)
    assert render(copy.deepcopy(spec_data)) == first
    assert render(reversed_keys(spec_data)) == first


def test_any_change_to_the_spec_changes_the_hash_line(spec_data: dict[str, Any]) -> None:
    before = read_header(render(spec_data))
    spec_data["steps"][2]["sql"] = spec_data["steps"][2]["sql"] + " HAVING COUNT(*) > 0"
    after = read_header(render(spec_data))
    assert before is not None and after is not None
    assert before.spec_sha256 != after.spec_sha256


def test_header_names_marker_hash_dag_and_request(spec_data: dict[str, Any]) -> None:
    spec = parse_spec(spec_data)
    lines = render_dag(spec).splitlines()
    assert lines[0] == GENERATED_MARKER
    assert lines[1] == f"# spec-sha256: {spec_hash(spec)}"
    assert lines[2] == "# dag_id: orders_to_dwh"
    assert "orders_to_dwh.yaml beside this file" in lines[3] and "redeploy" in lines[3]
    assert "# every night at 2 load new orders" in lines
    assert "# and check them" in lines
    header = read_header(render_dag(spec))
    assert header is not None
    assert (header.spec_sha256, header.dag_id) == (spec_hash(spec), "orders_to_dwh")


def test_read_header_ignores_other_files_and_spoofed_request_lines(spec_data: dict[str, Any]) -> None:
    assert read_header("") is None
    assert read_header("from airflow.sdk import DAG\n") is None
    assert read_header(GENERATED_MARKER + "\n# spec-sha256: nothex\n# dag_id: x\n") is None
    spec_data["request"] = f"{GENERATED_MARKER}\n# spec-sha256: {'0' * 64}\n# dag_id: evil"
    header = read_header(render(spec_data))
    assert header is not None
    assert header.dag_id == "orders_to_dwh"
    assert header.spec_sha256 == spec_hash(parse_spec(spec_data))


def test_dag_settings(spec_data: dict[str, Any], load_dags: Callable[[str], dict[str, Any]]) -> None:
    dag = load_dags(render(spec_data))["orders_to_dwh"]
    assert dag.description == "Nightly load of new orders"
    assert "Nightly load of new orders" in dag.doc_md
    assert "every night at 2 load new orders\nand check them" in dag.doc_md
    assert dag.start_date == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert set(dag.tags) == {"ai-etl"}
    task = dag.get_task("load_orders")
    assert task.owner == "data-eng"
    assert task.retries == 2
    assert task.retry_delay == dt.timedelta(minutes=5)
    [notifier] = task.on_failure_callback
    assert type(notifier).__name__ == "SmtpNotifier"
    assert notifier.to == ["data-eng@example.com"]
    assert notifier.smtp_conn_id == "smtp_default"


def test_steps_become_the_right_operators_and_dependencies(
    spec_data: dict[str, Any], load_dags: Callable[[str], dict[str, Any]]
) -> None:
    dag = load_dags(render(spec_data))["orders_to_dwh"]
    kinds = {t.task_id: type(t).__name__ for t in dag.tasks}
    assert kinds == {
        "load_orders": "TransferOperator",
        "check_orders.columns": "ReadOnlySQLColumnCheckOperator",
        "check_orders.table": "ReadOnlySQLTableCheckOperator",
        "check_orders.row_count_change": "RowCountChangeOperator",
        "refresh_summary": "SqlStatementOperator",
    }
    load = dag.get_task("load_orders")
    assert (load.source_conn_id, load.source_sql, load.source_table) == (
        "shop_pg",
        "SELECT * FROM public.orders",
        None,
    )
    assert (load.target_conn_id, load.target_table, load.mode) == ("dwh", "analytics.orders", "incremental")
    assert (load.key, load.watermark, load.batch_size) == (["order_id"], "updated_at", 10000)
    assert load.doc_md == "Copy new and changed orders."

    columns = dag.get_task("check_orders.columns")
    assert (columns.conn_id, columns.table) == ("dwh", "analytics.orders")
    assert columns.column_mapping == {
        "order_id": {"unique_check": {"equal_to": 0}, "null_check": {"equal_to": 0}},
        "amount": {"min": {"geq_to": 0}, "max": {"less_than": 1000000}},
        "status": {"distinct_check": {"leq_to": 5}},
    }
    table = dag.get_task("check_orders.table")
    assert table.checks == {
        "row_count": {"check_statement": "COUNT(*) >= 1 AND COUNT(*) <= 1000000"},
        "positive_amount": {"check_statement": "COUNT(CASE WHEN (amount >= 0) THEN 1 END) = COUNT(*)"},
    }
    change = dag.get_task("check_orders.row_count_change")
    assert (change.conn_id, change.table, change.max_drop_pct, change.max_growth_pct) == (
        "dwh",
        "analytics.orders",
        50,
        200.5,
    )
    refresh = dag.get_task("refresh_summary")
    assert refresh.sql == spec_data["steps"][2]["sql"]
    assert refresh.conn_id == "dwh"
    assert "dwh" in refresh.doc_md  # no description: a generated summary

    group = {"check_orders.columns", "check_orders.table", "check_orders.row_count_change"}
    for task_id in group:
        assert dag.get_task(task_id).upstream_task_ids == {"load_orders"}
    assert refresh.upstream_task_ids == group


def test_a_quality_step_with_one_kind_of_check_is_one_task(
    spec_data: dict[str, Any], load_dags: Callable[[str], dict[str, Any]]
) -> None:
    spec_data["steps"][1]["checks"] = [{"check": "row_count_change", "max_growth_pct": 10}]
    source = render(spec_data)
    assert "TaskGroup" not in source
    dag = load_dags(source)["orders_to_dwh"]
    assert type(dag.get_task("check_orders")).__name__ == "RowCountChangeOperator"
    assert dag.get_task("refresh_summary").upstream_task_ids == {"check_orders"}


def test_transfer_from_a_table_and_defaults(spec_data: dict[str, Any], load_dags: Callable[..., Any]) -> None:
    spec_data["steps"][0].update(mode="append", key=[], watermark=None, batch_size=500, description="")
    spec_data["steps"][0]["source"] = {"conn_id": "shop_pg", "table": "public.orders"}
    del spec_data["on_failure"], spec_data["description"], spec_data["request"]
    spec_data["schedule"] = None
    source = render(spec_data)
    assert "SmtpNotifier" not in source and "watermark" not in source and "create_target" not in source
    dag = load_dags(source)["orders_to_dwh"]
    assert dag.description is None and dag.doc_md is None and dag.schedule is None
    load = dag.get_task("load_orders")
    assert (load.source_table, load.source_sql, load.mode, load.batch_size) == (
        "public.orders",
        None,
        "append",
        500,
    )
    assert "public.orders" in load.doc_md


def test_transfer_that_creates_its_target(spec_data: dict[str, Any], load_dags: Callable[..., Any]) -> None:
    spec_data["steps"][0]["create_target"] = True
    source = render(spec_data)
    assert "create_target=True" in source
    assert load_dags(source)["orders_to_dwh"].get_task("load_orders").create_target is True


def test_duplicate_row_count_names_are_made_unique(
    spec_data: dict[str, Any], load_dags: Callable[..., Any]
) -> None:
    spec_data["steps"][1]["checks"] = [
        {"check": "expression", "name": "row_count", "condition": "id > 0 -- positive"},
        {"check": "row_count", "min": 0},
        {"check": "row_count", "min": 5},
    ]
    dag = load_dags(render(spec_data))["orders_to_dwh"]
    checks = dag.get_task("check_orders").checks
    assert list(checks) == ["row_count", "row_count_2", "row_count_3"]
    # a trailing SQL comment cannot swallow the rest of the statement
    assert (
        checks["row_count"]["check_statement"]
        == "COUNT(CASE WHEN (id > 0 -- positive\n) THEN 1 END) = COUNT(*)"
    )


@pytest.mark.parametrize("step_id", ["import", "class", "match", "case", "type", "datetime", "timezone"])
def test_step_ids_that_are_python_words_get_a_suffixed_variable(
    spec_data: dict[str, Any], step_id: str, load_dags: Callable[..., Any]
) -> None:
    spec_data["steps"][2]["id"] = step_id
    spec_data["steps"].append(
        {"id": f"{step_id}_task", "kind": "sql", "conn_id": "dwh", "sql": "SELECT 1", "depends_on": [step_id]}
    )
    source = render(spec_data)
    assert f"{step_id}_task_2 = SqlStatementOperator(" in source
    assert f"    {step_id}_task_2 >> {step_id}_task\n" in source
    dag = load_dags(source)["orders_to_dwh"]
    assert dag.get_task(f"{step_id}_task").upstream_task_ids == {step_id}
    assert dag.get_task(step_id).upstream_task_ids == {
        "check_orders.columns",
        "check_orders.table",
        "check_orders.row_count_change",
    }


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            {"id": "orphan", "kind": "sql", "conn_id": "dwh", "sql": "SELECT 1", "depends_on": ["nowhere"]},
            "'orphan' depends on 'nowhere'",
        ),
        (
            {"id": "load_orders", "kind": "sql", "conn_id": "dwh", "sql": "SELECT 1"},
            "step id 'load_orders' is used by more than one step",
        ),
    ],
)  # fmt: skip
def test_unrenderable_steps_raise_a_render_error_naming_the_step(
    spec_data: dict[str, Any], step: dict[str, Any], message: str
) -> None:
    spec_data["steps"].append(step)
    with pytest.raises(RenderError, match=message):
        render(spec_data)


def _ruff_check(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    ruff = Path(sys.executable).with_name("ruff")
    return subprocess.run(
        [str(ruff), "format", "--isolated", "--check", "--diff", *args, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def long_spec(spec_data: dict[str, Any]) -> dict[str, Any]:
    """Values long enough to force every kind of split."""
    long_id = "s" * 100
    spec_data["tags"] = ["ai-etl", "x" * 100, "中文" * 20]
    spec_data["steps"][0]["key"] = ["k" * 30, "l" * 30, "m" * 20]  # fits 110 columns, not 88
    spec_data["steps"] += [
        {"id": "v" * 45, "kind": "sql", "conn_id": "dwh", "sql": "SELECT 1"},
        {"id": "u" * 45, "kind": "sql", "conn_id": "dwh", "sql": "SELECT 2", "depends_on": ["v" * 45]},
    ]
    spec_data["on_failure"]["to"] = [f"{'a' * 60}@example.com", f"{'b' * 60}@example.com"]
    spec_data["steps"][1]["id"] = long_id
    spec_data["steps"][1]["description"] = (
        "A quality step whose description is long enough to overflow a line."
    )
    spec_data["steps"][2]["depends_on"] = [long_id]
    spec_data["steps"][2]["id"] = "t" * 100
    spec_data["steps"][1]["checks"].append(
        {"check": "expression", "name": "e" * 60, "condition": "amount >= 0 AND amount < 100000000000000"}
    )
    return spec_data


@pytest.mark.parametrize("line_length", ["88", "110", "200"])
@pytest.mark.parametrize("variant", ["plain", "long"])
def test_rendered_source_is_already_ruff_formatted(
    spec_data: dict[str, Any], tmp_path: Path, line_length: str, variant: str
) -> None:
    data = long_spec(spec_data) if variant == "long" else spec_data
    path = tmp_path / "dag.py"
    path.write_text(render(data), encoding="utf-8")
    result = _ruff_check(path, "--line-length", line_length)
    assert result.returncode == 0, result.stdout + result.stderr


def test_long_names_are_split_readably(spec_data: dict[str, Any], load_dags: Callable[..., Any]) -> None:
    source = render(long_spec(spec_data))
    assert f"    chain(\n        {'s' * 100},\n        {'t' * 100},\n    )\n" in source
    assert '"on_failure_callback": SmtpNotifier(\n' in source
    assert f"    chain(\n        {'v' * 45},\n        {'u' * 45},\n    )\n" in source
    assert '        key=[\n            "kkk' in source
    dag = load_dags(source)["orders_to_dwh"]
    assert dag.get_task("t" * 100).upstream_task_ids == {
        f"{'s' * 100}.columns",
        f"{'s' * 100}.table",
        f"{'s' * 100}.row_count_change",
    }


def test_multi_line_sql_is_readable_in_the_file(spec_data: dict[str, Any]) -> None:
    source = render(spec_data)
    assert (
        '        sql=(\n            """INSERT INTO analytics.daily_orders\nSELECT order_date, COUNT(*)\n'
        in source
    )


def test_rendered_module_imports_only_what_it_uses(spec_data: dict[str, Any]) -> None:
    spec_data["steps"] = [spec_data["steps"][2]]
    del spec_data["steps"][0]["depends_on"], spec_data["on_failure"]
    tree = ast.parse(render(spec_data))
    imported = {
        (node.module, alias.name)
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert imported == {
        ("datetime", "datetime"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
        ("airflow.sdk", "DAG"),
        ("airflow_ai_etl.operators.sql_statement", "SqlStatementOperator"),
    }


def test_only_sql_is_laid_out_across_lines(spec_data: dict[str, Any]) -> None:
    spec_data["description"] = "import os\nos.system('x')"
    source = render(spec_data)
    assert "    description=\"import os\\nos.system('x')\",\n" in source
