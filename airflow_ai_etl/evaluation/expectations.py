"""What a draft does (tables read and written, step kinds, load modes, checks, schedule) and how it
measures up to a case's expectations.

Tables are read from the spec's own fields and, for SQL, from the statements themselves (the
validation's SQL analysis), so a model that joins an extra table in a `source.sql` is seen doing so.
A table the pipeline writes and then reads again on the same connection (a quality check on its own
target, an aggregation over a loaded table) is a target, not a table read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from airflow_ai_etl.evaluation.suite import Expectations
from airflow_ai_etl.spec import PipelineSpec
from airflow_ai_etl.steps import registry
from airflow_ai_etl.validation.schema import same_table


@dataclass(frozen=True)
class DraftFacts:
    tables: list[str]
    targets: list[str]
    step_kinds: list[str]
    modes: list[str]
    checks: list[str]
    schedule: str | None


_Access = tuple[str, str]  # (conn id, table)


def _unique(names: Iterable[str]) -> list[str]:
    kept: list[str] = []
    for name in names:
        if not any(same_table(name, k, None) for k in kept):
            kept.append(name)
    return kept


def _written(access: _Access, writes: Iterable[_Access]) -> bool:
    return any(access[0] == conn and same_table(access[1], table, None) for conn, table in writes)


def draft_facts(spec: PipelineSpec, dialects: Mapping[str, str]) -> DraftFacts:
    """The facts of `spec`; `dialects` by conn id tell how to parse each connection's SQL."""
    reads: list[_Access] = []
    writes: list[_Access] = []
    modes: list[str] = []
    checks: list[str] = []
    for step, use in zip(spec.steps, registry.table_uses(spec.steps, dialects), strict=True):
        reads += use.reads
        writes += use.writes
        facts = registry.kind_of(step).eval_facts(step)
        modes += facts.modes
        checks += facts.checks
    return DraftFacts(
        tables=_unique(table for conn, table in reads if not _written((conn, table), writes)),
        targets=_unique(table for _, table in writes),
        step_kinds=sorted({s.kind for s in spec.steps}),
        modes=sorted(set(modes)),
        checks=sorted(set(checks)),
        schedule=spec.schedule,
    )


def _table_set_problem(what: str, expected: list[str], actual: list[str]) -> str | None:
    missing = [e for e in expected if not any(same_table(e, a, None) for a in actual)]
    extra = [a for a in actual if not any(same_table(e, a, None) for e in expected)]
    if not missing and not extra:
        return None
    parts = [f"missing {', '.join(missing)}"] if missing else []
    parts += [f"unexpected {', '.join(extra)}"] if extra else []
    return f"{what}: {'; '.join(parts)} (expected [{', '.join(expected)}], got [{', '.join(actual)}])"


def _set_problem(what: str, expected: list[str], actual: list[str]) -> str | None:
    if set(expected) == set(actual):
        return None
    return f"{what}: expected [{', '.join(sorted(set(expected)))}], got [{', '.join(actual)}]"


def draft_problems(expect: Expectations, facts: DraftFacts) -> list[str]:
    """Each expectation the draft does not meet, in words (empty: it meets them all)."""
    problems = []
    if expect.tables is not None:
        problems.append(_table_set_problem("tables read", expect.tables, facts.tables))
    if expect.targets is not None:
        problems.append(_table_set_problem("tables written", expect.targets, facts.targets))
    if expect.step_kinds is not None:
        problems.append(_set_problem("step kinds", [k.value for k in expect.step_kinds], facts.step_kinds))
    if expect.modes is not None:
        problems.append(_set_problem("load modes", expect.modes, facts.modes))
    if expect.checks is not None:
        problems.append(_set_problem("quality checks", expect.checks, facts.checks))
    if expect.checks_schedule and expect.schedule != facts.schedule:
        problems.append(f"schedule: expected {expect.schedule!r}, got {facts.schedule!r}")
    return [p for p in problems if p is not None]
