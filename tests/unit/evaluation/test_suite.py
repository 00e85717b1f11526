from __future__ import annotations

from pathlib import Path

import pytest

from airflow_ai_etl.evaluation.suite import SuiteError, load_suite

DEMO_SUITE = Path(__file__).resolve().parents[3] / "examples" / "demo" / "eval_suite.yaml"


def _problems(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "suite.yaml"
    path.write_text(text)
    with pytest.raises(SuiteError) as caught:
        load_suite(path)
    assert str(path) in str(caught.value)
    return dict(caught.value.problems)


def test_the_shipped_demo_suite_loads_with_enough_cases() -> None:
    suite = load_suite(DEMO_SUITE)
    assert len(suite.cases) >= 12
    assert sum(bool(c.expect.rows) for c in suite.cases) >= 1
    assert suite.base_dir == DEMO_SUITE.parent


def test_errors_name_the_field(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        """
connections: [shop]
cases:
  - name: a
    request: copy x
    expect: {step_kind: [sql], modes: [bogus], schedule: "61 * * * *"}
  - name: 1bad
    request: r
    expect: {rows: [{conn_id: w, sql: "select 1"}]}
""",
    )
    assert problems["cases[0].expect.step_kind"] == "unknown field"
    assert "'append', 'replace', 'upsert', 'incremental', 'overwrite'" in problems["cases[0].expect.modes[0]"]
    assert "cron" in problems["cases[0].expect.schedule"]
    assert "pattern" in problems["cases[1].name"]
    assert problems["cases[1].expect.rows[0].equals"] == "Field required"


def test_repeated_case_names_and_missing_connections_are_refused(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "cases: [{name: a, request: x}, {name: a, request: y}]")
    assert "repeated: a" in problems["cases"]
    problems = _problems(tmp_path, "cases: [{name: a, request: x}]")
    assert "case a has no connections" in problems[""]


def test_a_refusal_case_cannot_expect_a_draft(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path, "connections: [c]\ncases: [{name: a, request: x, expect: {ok: false, tables: [t]}}]"
    )
    assert "ok: false" in problems["cases[0].expect"]


def test_unreadable_files_are_suite_errors(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="file not found"):
        load_suite(tmp_path / "missing.yaml")
    assert "not valid YAML" in _problems(tmp_path, "cases: [")[""]
    assert "expected a mapping" in _problems(tmp_path, "- a\n- b")[""]
