"""Run an eval suite: every case's request through the orchestrator, its draft held against the
case's expectations, and (optionally) its DAG run for real with the resulting rows compared.

Latency is the wall time of `generate` for the case (the schema analyst, planner, SQL expert, QA
and renderer); catalog introspection is done before the clock starts, once per connection, so
that comparing two models compares the models. Tokens are what the models reported.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from airflow_ai_etl.agents.events import GenerationResult, total_spent
from airflow_ai_etl.agents.llm_config import LLMChoice
from airflow_ai_etl.agents.orchestrator import OFFLINE_PLANNER, generate
from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.evaluation.databases import SqliteDatabases
from airflow_ai_etl.evaluation.expectations import draft_facts, draft_problems
from airflow_ai_etl.evaluation.rows import AirflowSandbox, RowsCheckError, rows_problem
from airflow_ai_etl.evaluation.suite import Case, Suite

if TYPE_CHECKING:
    from airflow_ai_etl.agents.llm import LLM

RowsStatus = Literal["passed", "failed", "skipped", "none"]


class CaseResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    category: str | None = None
    passed: bool
    problems: list[str] = Field(default_factory=list)
    generated: bool = Field(description="Whether the orchestrator produced a validated draft.")
    reason: str | None = Field(default=None, description="Why generation failed, if it did.")
    planner: Literal["model", "offline"] = "model"
    latency_ms: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = Field(default=0.0, description="None when a model's price is not known.")
    repair_rounds: int = 0
    rows: RowsStatus = "none"
    rows_ms: float = 0.0


class SuiteResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cases: list[CaseResult]

    @property
    def passed(self) -> int:
        return sum(c.passed for c in self.cases)

    @property
    def pass_rate(self) -> float:
        return self.passed / len(self.cases) if self.cases else 0.0

    @property
    def input_tokens(self) -> int:
        return sum(c.input_tokens for c in self.cases)

    @property
    def output_tokens(self) -> int:
        return sum(c.output_tokens for c in self.cases)

    @property
    def latency_p50_ms(self) -> float:
        return statistics.median(c.latency_ms for c in self.cases) if self.cases else 0.0

    @property
    def latency_p95_ms(self) -> float:
        """The 95th percentile of the cases' latencies (nearest rank: no value the run did not see)."""
        if not self.cases:
            return 0.0
        ordered = sorted(c.latency_ms for c in self.cases)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    @property
    def rows_exact_rate(self) -> float | None:
        """Share of the cases whose rows were checked that came out exactly as expected; None when
        no case's rows were checked."""
        checked = [c for c in self.cases if c.rows in ("passed", "failed")]
        return sum(c.rows == "passed" for c in checked) / len(checked) if checked else None

    @property
    def repair_rounds(self) -> int:
        return sum(c.repair_rounds for c in self.cases)

    @property
    def cost_usd(self) -> float | None:
        costs = [c.cost_usd for c in self.cases]
        return None if None in costs else sum(c for c in costs if c is not None)

    @property
    def latency_total_ms(self) -> float:
        return sum(c.latency_ms for c in self.cases)

    def by_category(self) -> dict[str, tuple[int, int]]:
        """category -> (passed, cases), for the cases that have a category."""
        counts: dict[str, tuple[int, int]] = {}
        for case in self.cases:
            if case.category is not None:
                passed, total = counts.get(case.category, (0, 0))
                counts[case.category] = (passed + case.passed, total + 1)
        return dict(sorted(counts.items()))

    def summary(self) -> dict[str, float | int | None]:
        rows = self.rows_exact_rate
        cost = self.cost_usd
        return {
            "cases": len(self.cases),
            "passed": self.passed,
            "pass_rate": round(self.pass_rate, 4),
            "rows_exact_rate": None if rows is None else round(rows, 4),
            "repair_rounds": self.repair_rounds,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": None if cost is None else round(cost, 6),
            "latency_p50_ms": round(self.latency_p50_ms, 1),
            "latency_p95_ms": round(self.latency_p95_ms, 1),
            "latency_total_ms": round(self.latency_total_ms, 1),
        }


class UnknownCaseError(ValueError):
    """`only` named cases the suite does not have."""


class _CatalogCache:
    """Catalogs by conn id and connection definition: introspected once, outside the timed part."""

    def __init__(self) -> None:
        self._catalogs: dict[tuple[str, str | None], SchemaCatalog] = {}

    def get(self, conn_id: str) -> SchemaCatalog:
        from airflow_ai_etl.catalog.introspect import introspect

        key = (conn_id, os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}"))
        if key not in self._catalogs:
            self._catalogs[key] = introspect(conn_id)
        return self._catalogs[key]


class _Runner:
    def __init__(
        self,
        suite: Suite,
        *,
        work: Path,
        offline: bool,
        llm: LLMChoice | None,
        agent_llms: Mapping[str, LLMChoice | LLM] | None,
        with_rows: bool,
        today: dt.date | None,
    ) -> None:
        self.suite = suite
        self.offline = offline
        self.llm = llm
        self.agent_llms = agent_llms
        self.with_rows = with_rows
        self.today = today
        self.work = work
        self.catalogs = _CatalogCache()
        self.databases = SqliteDatabases(suite.sqlite_databases, suite.base_dir, work / "databases")
        self._sandbox: AirflowSandbox | RowsCheckError | None = None

    def sandbox(self) -> AirflowSandbox:
        """Migrated on first use; a failure is remembered and reported by every later rows check."""
        if self._sandbox is None:
            try:
                self._sandbox = AirflowSandbox.create(self.work)
            except RowsCheckError as exc:
                self._sandbox = exc
        if isinstance(self._sandbox, RowsCheckError):
            raise self._sandbox
        return self._sandbox

    def generate(self, case: Case, catalogs: list[SchemaCatalog]) -> tuple[GenerationResult, float]:
        started = time.perf_counter()
        result = generate(
            case.request,
            catalogs,
            dag_id=case.name,
            today=self.today,
            llm=self.llm,
            agent_llms=self.agent_llms,
            offline=self.offline,
        )
        return result, (time.perf_counter() - started) * 1000

    def run_case(self, case: Case) -> CaseResult:
        from airflow_ai_etl.catalog.connections import UnknownConnectionError
        from airflow_ai_etl.catalog.introspect import CatalogError

        with self.databases.for_case(case.name):
            try:
                catalogs = [self.catalogs.get(c) for c in self.suite.case_connections(case)]
            except (UnknownConnectionError, CatalogError) as exc:
                return CaseResult(
                    name=case.name, category=case.category, passed=False, generated=False, problems=[str(exc)]
                )
            result, latency_ms = self.generate(case, catalogs)
            outcome = CaseResult(
                name=case.name,
                category=case.category,
                passed=False,
                generated=result.ok,
                reason=result.reason,
                planner="offline" if any(e.agent == OFFLINE_PLANNER for e in result.events) else "model",
                latency_ms=latency_ms,
                input_tokens=sum(u.input_tokens for u in result.usage),
                output_tokens=sum(u.output_tokens for u in result.usage),
                cost_usd=total_spent(result.usage)[1],
                repair_rounds=result.rounds,
            )
            outcome.problems = self.check(case, result, catalogs, outcome)
        outcome.passed = not outcome.problems
        return outcome

    def check(
        self, case: Case, result: GenerationResult, catalogs: list[SchemaCatalog], outcome: CaseResult
    ) -> list[str]:
        expect = case.expect
        if not expect.ok:
            return ["expected the request to be refused, but a draft was generated"] if result.ok else []
        if not result.ok or result.spec is None or result.source is None:
            return [f"no draft: {result.reason}"]
        problems = draft_problems(expect, draft_facts(result.spec, {c.conn_id: c.dialect for c in catalogs}))
        if expect.rows:
            if not self.with_rows:
                outcome.rows = "skipped"
            else:
                started = time.perf_counter()
                rows = self.rows_problems(case, result.source)
                outcome.rows_ms = (time.perf_counter() - started) * 1000
                outcome.rows = "failed" if rows else "passed"
                problems += rows
        return problems

    def rows_problems(self, case: Case, source: str) -> list[str]:
        try:
            self.sandbox().run_dag(case.name, source)
        except RowsCheckError as exc:
            return [f"DAG run: {exc}"]
        return [p for p in (rows_problem(check) for check in case.expect.rows) if p is not None]


def select_cases(suite: Suite, only: Sequence[str] | None) -> list[Case]:
    if not only:
        return list(suite.cases)
    known = {c.name for c in suite.cases}
    unknown = [n for n in only if n not in known]
    if unknown:
        raise UnknownCaseError(
            f"no case named {', '.join(unknown)} in the suite; cases: {', '.join(sorted(known))}"
        )
    return [c for c in suite.cases if c.name in only]


def run_suite(
    suite: Suite,
    *,
    offline: bool = False,
    llm: LLMChoice | None = None,
    agent_llms: Mapping[str, LLMChoice | LLM] | None = None,
    with_rows: bool = True,
    only: Sequence[str] | None = None,
    today: dt.date | None = None,
    on_case: Callable[[CaseResult], None] | None = None,
) -> SuiteResult:
    """Run the suite's cases (or those named in `only`) and return what happened to each.

    `offline` plans with the offline planner whatever is configured; otherwise `llm` and
    `agent_llms` choose the models as for `generate`. `with_rows=False` skips the DAG runs.
    Raises UnknownCaseError for a name in `only` the suite does not have.
    """
    cases = select_cases(suite, only)
    results = []
    with tempfile.TemporaryDirectory(prefix="ai-etl-eval-") as work:
        runner = _Runner(
            suite,
            work=Path(work),
            offline=offline,
            llm=llm,
            agent_llms=agent_llms,
            with_rows=with_rows,
            today=today,
        )
        for case in cases:
            result = runner.run_case(case)
            results.append(result)
            if on_case is not None:
                on_case(result)
    return SuiteResult(cases=results)
