"""The development suite (examples/grounding): 100 requests over four domains, offline.

CI runs every case's draft expectations (one process, no DAG runs: ~1 min with the model load) and
the rows checks of one case per domain and per load shape (real `airflow dags test` runs). The full
run with rows for every case is `ai-etl eval examples/grounding/eval_suite.yaml --offline`
(~20-40 min on two cores), reported in the README.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_ai_etl.evaluation.runner import run_suite
from airflow_ai_etl.evaluation.suite import load_suite

pytestmark = pytest.mark.integration

SUITE = Path(__file__).resolve().parents[3] / "examples" / "grounding" / "eval_suite.yaml"
#: Cases whose DAGs CI runs: an existing target, a linked measure into a new table, a filter,
#: an aggregate over an abbreviated schema.
ROWS_SAMPLE = [
    "clinic_into_existing_summary",
    "library_long_books",
    "logistics_weight_per_customer",
    "saas_into_dim",
]


def test_the_suite_is_large_and_varied() -> None:
    suite = load_suite(SUITE)
    assert len(suite.cases) >= 100
    domains = {case.connections[0] for case in suite.cases if case.connections}
    assert len(domains) >= 4 and "shop" not in domains
    assert all(case.category for case in suite.cases)
    assert sum(bool(case.expect.rows) for case in suite.cases) >= 85


def test_offline_drafts_pass_at_least_90_percent_overall() -> None:
    result = run_suite(load_suite(SUITE), offline=True, with_rows=False)
    failed = [f"{c.name}: {c.problems}" for c in result.cases if not c.passed]
    assert result.pass_rate >= 0.9, "\n".join(failed)
    for category, (passed, total) in result.by_category().items():
        assert passed / total >= 0.6, f"{category}: {passed}/{total}\n" + "\n".join(failed)


def test_a_sample_loads_the_right_rows() -> None:
    result = run_suite(load_suite(SUITE), offline=True, only=ROWS_SAMPLE)
    assert [c.rows for c in result.cases] == ["passed"] * len(ROWS_SAMPLE), [c.problems for c in result.cases]
