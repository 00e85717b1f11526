"""Hostile text in every free-text spec field stays text: it compiles to data, never to code."""

from __future__ import annotations

import ast
import io
import subprocess
import sys
import tokenize
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_ai_etl.render import render_dag
from airflow_ai_etl.spec import PipelineSpec, parse_spec

PAYLOADS = {
    "quotes": 'a"b\'c"""d\'\'\'e"',
    "backslashes": "a\\b \\n \\x00 \\u2028 trailing\\",
    "line_breaks": "x\r\ny\rz\x00w\u2028v\u2029u\x0bt\x0cs\x1c\x1d\x1en\x85end",
    "jinja": "{{ dag_run.conf['x'] }} {% if 1 %}{# c #}",
    "import": "__import__('os').system('touch /tmp/pwned')",
    "breakout": '"); __import__("os").system("x"); x = ("',
    "triple_breakout": '"""\n__import__("os").system("x")\n"""',
    "comment_breakout": "# c\n# -*- coding: latin-1 -*-\nimport os; os.system('x')\n#",
    "bidi": "admin\u202e \u2066 zero\u200bwidth",
    "unicode": "é 中文 🙂",
}
PAYLOADS["everything"] = " | ".join(PAYLOADS.values())

#: The only calls a rendered file makes.
CONSTRUCTORS = {
    "DAG",
    "TaskGroup",
    "chain",
    "datetime",
    "timedelta",
    "SmtpNotifier",
    "SqlStatementOperator",
    "ReadOnlySQLColumnCheckOperator",
    "ReadOnlySQLTableCheckOperator",
    "TransferOperator",
    "RowCountChangeOperator",
    "FileToSqlOperator",
    "SqlToFileOperator",
    "FreshnessOperator",
    "KafkaToSqlOperator",
    "SparkSqlTransformOperator",
}


def sql_text(payload: str) -> str:
    """The payload as SQL string literals (Jinja markers are refused by the spec model for SQL)."""
    text = payload.replace("{", "(").replace("}", ")")
    return "'" + text.replace("'", "''") + "'"


def path_text(payload: str) -> str:
    """The payload as a path (the spec refuses template markers and control characters in paths)."""
    text = "".join(c for c in payload.replace("{", "(").replace("}", ")") if c.isprintable())
    return "/data/" + text.replace("/", "_").strip()


def hostile_spec(payload: str) -> PipelineSpec:
    label = payload[:100].strip()
    # The most of the payload an e-mail address can hold (the spec takes addresses only).
    local = "".join(c for c in payload if c.isascii() and (c.isalnum() or c in "!#$%&'*+=?^_`{|}~-"))
    email = (local[:60] or "x") + "@evil.example"
    return parse_spec(
        {
            "dag_id": "hostile",
            "description": payload,
            "request": payload,
            "start_date": "2026-01-01",
            "owner": label,
            "tags": [label, "ai-etl"],
            "steps": [
                {
                    "id": "run_sql",
                    "kind": "sql",
                    "description": payload,
                    "conn_id": "dwh",
                    "sql": f"INSERT INTO t (v)\nSELECT {sql_text(payload)} AS v",
                },
                {
                    "id": "copy_rows",
                    "kind": "transfer",
                    "description": payload,
                    "source": {"conn_id": "src", "sql": f"SELECT * FROM s WHERE v <> {sql_text(payload)}"},
                    "target": {"conn_id": "dwh", "table": "t"},
                    "depends_on": ["run_sql"],
                },
                {
                    "id": "check_rows",
                    "kind": "quality_check",
                    "description": payload,
                    "conn_id": "dwh",
                    "table": "t",
                    "depends_on": ["copy_rows"],
                    "checks": [
                        {"column": "v", "check": "not_null"},
                        {
                            "check": "expression",
                            "name": "not_hostile",
                            "condition": f"v <> {sql_text(payload)}",
                        },
                        {"check": "row_count_change", "max_drop_pct": 10},
                        {"check": "freshness", "column": "v", "max_age_minutes": 90},
                    ],
                },
                {
                    "id": "load_file",
                    "kind": "file_load",
                    "description": payload,
                    "path": path_text(payload),
                    "format": "csv",
                    "csv": {"delimiter": "'", "null": path_text(payload)[-20:]},
                    "target": {"conn_id": "dwh", "table": "t"},
                    "columns": ["v"],
                    "depends_on": ["check_rows"],
                },
                {
                    "id": "export_file",
                    "kind": "file_export",
                    "description": payload,
                    "source": {"conn_id": "dwh", "sql": f"SELECT v FROM t WHERE v <> {sql_text(payload)}"},
                    "path": "s3://bucket/" + path_text(payload).removeprefix("/"),
                    "format": "jsonl",
                    "storage_conn_id": "lake",
                    "depends_on": ["load_file"],
                },
                {
                    "id": "ingest",
                    "kind": "kafka_ingest",
                    "description": payload,
                    "kafka_conn_id": "bus",
                    "topic": "t.v1",
                    "format": "avro",
                    "avro_schema": {
                        "type": "record",
                        "name": "T",
                        "doc": payload,
                        "fields": [{"name": "v", "type": "string", "doc": payload, "default": payload}],
                    },
                    "target": {"conn_id": "dwh", "table": "t"},
                    "dead_letter_table": "t_dead",
                },
                {
                    "id": "spark_rows",
                    "kind": "spark_sql",
                    "description": payload,
                    "conn_id": "spark",
                    "sql": f"SELECT {sql_text(payload)} AS v, day FROM s",
                    "target_table": "db.t",
                    "mode": "overwrite_partitions",
                    "partition_by": ["day"],
                    "depends_on": ["check_rows"],
                },
            ],
            "on_failure": {"notify": "email", "to": [email]},
        }
    )


def assert_only_constructor_calls(source: str) -> None:
    tree = ast.parse(source)
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assigned = {
        t.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name), ast.unparse(node.func)
            assert node.func.id in CONSTRUCTORS, node.func.id
        elif isinstance(node, ast.Attribute):
            assert ast.unparse(node) == "timezone.utc"
        elif isinstance(node, ast.Name):
            assert node.id in imported | assigned | {"None"}, node.id
        assert not isinstance(node, ast.Import | ast.Lambda | ast.FunctionDef | ast.Subscript | ast.JoinedStr)
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert modules <= {
        "datetime",
        "airflow.sdk",
        "airflow_ai_etl.operators.sql_statement",
        "airflow.providers.smtp.notifications.smtp",
        "airflow_ai_etl.operators.transfer",
        "airflow_ai_etl.operators.quality",
        "airflow_ai_etl.operators.sql_checks",
        "airflow_ai_etl.operators.files",
        "airflow_ai_etl.operators.kafka",
        "airflow_ai_etl.operators.spark",
    }


def header_comments(source: str) -> list[str]:
    """The comment tokens before the first code token."""
    comments = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments.append(token.string)
        elif token.type not in (tokenize.NL, tokenize.NEWLINE):
            assert (token.type, token.string) == (tokenize.NAME, "from")
            return comments
    raise AssertionError("no code after the header")


@pytest.mark.parametrize("name", PAYLOADS)
def test_hostile_text_is_only_ever_data(
    name: str, load_dags: Callable[[str], dict[str, Any]], tmp_path: Path
) -> None:
    payload = PAYLOADS[name]
    spec = hostile_spec(payload)
    source = render_dag(spec)

    compile(source, "hostile.py", "exec")
    assert_only_constructor_calls(source)
    comments = header_comments(source)
    assert len(comments) == 6 + len(spec.request.splitlines())
    assert "\x00" not in source and "\r" not in source and "\u2028" not in source

    dag = load_dags(source)["hostile"]
    assert dag.description == spec.description
    assert spec.request in dag.doc_md
    assert set(dag.tags) == set(spec.tags)
    for task in dag.tasks:
        assert task.owner == spec.owner
        assert task.doc_md == payload.strip()
        [notifier] = task.on_failure_callback
        assert notifier.to == spec.on_failure.to  # type: ignore[union-attr]
    steps = {step.id: step for step in spec.steps}
    assert dag.get_task("run_sql").sql == steps["run_sql"].sql  # type: ignore[union-attr]
    assert dag.get_task("copy_rows").source_sql == steps["copy_rows"].source.sql  # type: ignore[union-attr]
    spark_task = dag.get_task("spark_rows")
    assert spark_task.sql == steps["spark_rows"].sql  # type: ignore[union-attr]
    assert (spark_task.target_table, spark_task.partition_by) == ("db.t", ["day"])  # type: ignore[attr-defined]
    condition = steps["check_rows"].checks[1].condition  # type: ignore[union-attr]
    statement = dag.get_task("check_rows.table").checks["not_hostile"]["check_statement"]
    assert condition in statement
    load_file = dag.get_task("load_file")
    assert load_file.path == steps["load_file"].path  # type: ignore[union-attr]
    assert load_file.csv_null == steps["load_file"].csv.null  # type: ignore[union-attr]
    export_file = dag.get_task("export_file")
    assert export_file.sql == steps["export_file"].source.sql  # type: ignore[union-attr]
    assert export_file.path == steps["export_file"].path  # type: ignore[union-attr]
    ingest = dag.get_task("ingest")
    assert ingest.avro_schema == steps["ingest"].avro_schema  # type: ignore[union-attr]
    assert ingest.avro_schema["doc"] == payload.strip()
    assert dag.get_task("check_rows.freshness").max_age_minutes == 90

    path = tmp_path / "hostile.py"
    path.write_text(source, encoding="utf-8")
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run(
        [str(ruff), "format", "--isolated", "--check", "--diff", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_hostile_file_imports_cleanly_in_a_separate_process(tmp_path: Path) -> None:
    """The way deploy checks a file: a fresh interpreter running Airflow's DagBag over it."""
    marker = tmp_path / "pwned"
    payload = f"__import__('pathlib').Path({str(marker)!r}).touch() \"\"\" ' \\"
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "hostile.py").write_text(render_dag(hostile_spec(payload)), encoding="utf-8")
    script = (
        "import sys\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        "bag = DagBag(dag_folder=sys.argv[1], safe_mode=False)\n"
        "assert not bag.import_errors, bag.import_errors\n"
        "dag = bag.dags['hostile']\n"
        "print(dag.description == sys.argv[2])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "dags"), payload.strip()],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "True"
    assert not marker.exists()
