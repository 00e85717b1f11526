"""Spec documents are parsed with bounds: alias bombs, duplicate keys, depth and size are refused fast."""

from __future__ import annotations

import time

import pytest

from airflow_ai_etl.spec import SpecError, loads_spec
from airflow_ai_etl.spec.models import MAX_STEPS

_STEP = "  - {id: s%d, kind: sql, conn_id: db, sql: 'INSERT INTO t SELECT 1'}\n"


def _spec(steps: int) -> str:
    return "dag_id: big\nstart_date: 2026-01-01\nsteps:\n" + "".join(_STEP % i for i in range(steps))


def _alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_in_milliseconds() -> None:
    document = _spec(1) + "extra:\n" + "".join(f"  {line}\n" for line in _alias_bomb().splitlines())
    started = time.perf_counter()
    with pytest.raises(SpecError, match="expands to more than"):
        loads_spec(document)
    assert time.perf_counter() - started < 1.0


def test_aliases_within_bounds_still_work() -> None:
    document = "defaults: &d {conn_id: db}\n" + _spec(1)
    with pytest.raises(SpecError, match="defaults: unknown field"):  # parsed; the schema then speaks
        loads_spec(document)


@pytest.mark.parametrize(
    "document",
    [_spec(1) + "dag_id: other\n", '{"dag_id": "a", "dag_id": "b", "start_date": "2026-01-01", "steps": []}'],
)
def test_duplicate_keys_are_errors_naming_the_key(document: str) -> None:
    with pytest.raises(SpecError, match="duplicate key 'dag_id'"):
        loads_spec(document)


def test_nesting_is_bounded() -> None:
    with pytest.raises(SpecError, match="nested more than"):
        loads_spec(_spec(1) + "description: " + "[" * 500 + "]" * 500 + "\n")


def test_the_number_of_steps_is_bounded() -> None:
    assert len(loads_spec(_spec(MAX_STEPS)).steps) == MAX_STEPS
    refusal = f"steps: a pipeline holds at most {MAX_STEPS} steps, this one has {MAX_STEPS + 1}: split it"
    with pytest.raises(SpecError, match=refusal):
        loads_spec(_spec(MAX_STEPS + 1))
