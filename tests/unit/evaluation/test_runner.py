"""The runner over a small suite on the demo shop database (SQLite), without DAG runs."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import pytest

from airflow_ai_etl.evaluation.cli import add_eval_command, run_eval_command
from airflow_ai_etl.evaluation.report import format_text
from airflow_ai_etl.evaluation.runner import run_suite
from airflow_ai_etl.evaluation.suite import load_suite
from airflow_ai_etl.spec import load_spec
from tests.support.spec_model import spec_llms

DEMO_SPEC = Path(__file__).resolve().parents[3] / "examples" / "demo" / "orders_to_warehouse.yaml"


def _eval(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_eval_command(parser.add_subparsers(dest="command"))
    return run_eval_command(parser.parse_args(["eval", *argv]))


def test_offline_run_scores_pass_and_fail_cases(small_suite: Path) -> None:
    result = run_suite(load_suite(small_suite), offline=True, with_rows=False)

    by_name = {c.name: c for c in result.cases}
    assert by_name["copy_customers"].passed
    assert by_name["refuses_unknown_table"].passed and not by_name["refuses_unknown_table"].generated
    wrong = by_name["wrong_expectations"]
    assert not wrong.passed and wrong.generated
    assert any(p.startswith("tables read: missing customers; unexpected orders") for p in wrong.problems)
    assert any(p.startswith("load modes: expected [upsert], got [replace]") for p in wrong.problems)
    for case in result.cases:
        assert case.planner == "offline"
        assert (case.input_tokens, case.output_tokens) == (0, 0)
        assert case.latency_ms > 0
    text = format_text(result)
    assert "passed 2/3 (66.7%)" in text
    assert "FAIL  wrong_expectations" in text
    # The suite's databases are only pointed at while a case runs.
    assert "AIRFLOW_CONN_SHOP" not in os.environ


def test_the_function_model_path_reports_tokens(small_suite: Path) -> None:
    # The scripted model answers every request with the demo's spec (fact_orders from orders,
    # customers and order_items), whatever the case asks.
    llms = spec_llms(load_spec(DEMO_SPEC))
    result = run_suite(load_suite(small_suite), agent_llms=llms, with_rows=False, only=["copy_customers"])

    [case] = result.cases
    assert case.planner == "model" and case.generated
    assert case.input_tokens > 0 and case.output_tokens > 0
    assert result.input_tokens == case.input_tokens
    assert any("unexpected" in p and "orders" in p for p in case.problems)


def test_cli_exit_codes_and_json(small_suite: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _eval(str(small_suite), "--offline", "--no-rows", "--case", "copy_customers") == 0
    assert "passed 1/1 (100.0%)" in capsys.readouterr().out

    assert _eval(str(small_suite), "--offline", "--no-rows", "--json") == 1
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["passed"] == 2 and data["summary"]["cases"] == 3

    assert _eval(str(small_suite), "--offline", "--case", "nope") == 2
    assert "no case named nope" in capsys.readouterr().err


def test_cli_bad_suite_is_exit_2_naming_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("connections: [shop]\ncases: [{name: a, request: x, expect: {tabels: [t]}}]")
    assert _eval(str(bad), "--offline") == 2
    err = capsys.readouterr().err
    assert "cases[0].expect.tabels: unknown field" in err
    assert "Traceback" not in err
