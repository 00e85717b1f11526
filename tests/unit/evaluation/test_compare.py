"""The side-by-side table of model runs: the rows' arithmetic (rows-exact rate, p95, cost) and the
three formats, over hand-built results (the runs themselves: tests/integration/evaluation)."""

from __future__ import annotations

import json

from airflow_ai_etl.evaluation.compare import Column, format_json, format_markdown, format_text
from airflow_ai_etl.evaluation.runner import CaseResult, SuiteResult


def _case(name: str, latency_ms: float, **fields: object) -> CaseResult:
    return CaseResult.model_validate(
        {"name": name, "passed": True, "generated": True, "latency_ms": latency_ms, **fields}
    )


def test_rates_percentiles_and_cost() -> None:
    cases = [
        _case(f"c{i}", float(i), rows="passed" if i % 2 else "failed", cost_usd=0.01) for i in range(1, 21)
    ]
    result = SuiteResult(cases=[*cases, _case("no_rows", 0.5, rows="skipped", repair_rounds=2)])
    assert result.rows_exact_rate == 0.5  # the skipped case is not counted either way
    assert result.latency_p95_ms == 19.0  # nearest rank of 21 values: the 20th
    assert result.repair_rounds == 2
    assert result.cost_usd is not None and abs(result.cost_usd - 0.2) < 1e-9
    unpriced = SuiteResult(cases=[_case("a", 1.0, cost_usd=None), _case("b", 1.0)])
    assert unpriced.cost_usd is None  # one unknown price makes the total unknown
    assert SuiteResult(cases=[_case("a", 1.0)]).rows_exact_rate is None


def test_the_three_formats_show_one_column_per_run() -> None:
    good = SuiteResult(cases=[_case("a", 100.0, input_tokens=10, output_tokens=2, cost_usd=None)])
    bad = SuiteResult(cases=[_case("a", 300.0, rows="failed").model_copy(update={"passed": False})])
    columns = [Column("openai:gpt-5", good), Column("offline", bad)]

    text = format_text(columns).splitlines()
    assert text[0].split() == ["openai:gpt-5", "offline"]
    assert text[2].split() == ["pass", "rate", "100.0%", "0.0%"]
    assert text[6].split() == ["cost", "unknown", "$0.0000"]

    markdown = format_markdown(columns).splitlines()
    assert markdown[1] == "|---|---:|---:|"
    assert "| rows exact | n/a | 0.0% |" in markdown

    data = json.loads(format_json(columns))
    assert [m["model"] for m in data["models"]] == ["openai:gpt-5", "offline"]
    assert data["models"][1]["summary"]["rows_exact_rate"] == 0
