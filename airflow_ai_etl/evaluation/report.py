"""How an eval run reads: one line per case (with its problems below it), then the totals."""

from __future__ import annotations

import json

from airflow_ai_etl.evaluation.runner import CaseResult, SuiteResult


def format_case(case: CaseResult) -> str:
    rows = "" if case.rows == "none" else f"  rows {case.rows}"
    line = (
        f"{'PASS' if case.passed else 'FAIL'}  {case.name:<32} {case.latency_ms:8.1f} ms  "
        f"tokens {case.input_tokens}/{case.output_tokens}  [{case.planner}]{rows}"
    )
    return "\n".join([line, *(f"      - {p}" for p in case.problems)])


def format_summary(result: SuiteResult) -> str:
    lines = [
        f"{category:<20} passed {passed}/{total} ({passed / total:.1%})"
        for category, (passed, total) in result.by_category().items()
    ]
    lines.append(
        f"passed {result.passed}/{len(result.cases)} ({result.pass_rate:.1%})  "
        f"tokens in {result.input_tokens} out {result.output_tokens}  "
        f"latency p50 {result.latency_p50_ms:.1f} ms, total {result.latency_total_ms:.1f} ms"
    )
    return "\n".join(lines)


def format_text(result: SuiteResult) -> str:
    return "\n".join([*(format_case(c) for c in result.cases), "", format_summary(result)])


def format_json(result: SuiteResult) -> str:
    by_category = {k: {"passed": p, "cases": n} for k, (p, n) in result.by_category().items()}
    data = {
        "summary": result.summary(),
        "categories": by_category,
        "cases": [c.model_dump(mode="json") for c in result.cases],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)
