"""The orchestrator: one request -> a validated, rendered pipeline, or a clean account of why not.

    schema analyst -> planner -> sql expert -> qa validator -> reflector (<= N rounds)
        -> critics (vote; a flagged draft goes back to the planner once) -> renderer

Every step emits an Event (agent, message, duration, tokens) to the caller's callback, and model
usage is counted per agent, failed requests included. Model trouble never escapes as an
exception: one ModelGuard per generation retries 429s, 5xx, time-outs and malformed bodies
(announcing each wait), keeps all model requests within `[ai_etl] llm_budget_seconds`, and opens
a breaker on a model that is down, so later agents do not wait for it again; pydantic-ai re-asks
after schema-violating output; the reflector routes validation findings back to the agent that
owns them; and whatever still fails ends as a failed GenerationResult with the reason and
everything gathered so far.

Without a model the deterministic offline planner plans instead. When that is because the model
is unavailable, the result says so (`fallback`, `planned_by: offline (model unavailable: ...)`)
so that no surface can pass it off as the model's plan. A model connection that is named but
unusable (missing, wrong type, a rejected key) is a configuration error and ends as a failed
result naming it. A request or a plan that sends data outside the named connections, or changes
data in place, ends in a refusal naming the clause (agents/scope.py), on either path.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from airflow_ai_etl.agents.events import (
    PLANNED_BY_MODEL,
    Event,
    EventCallback,
    GenerationResult,
    Level,
    Phase,
)
from airflow_ai_etl.agents.grounding import approved_examples, existing_tables
from airflow_ai_etl.agents.llm_config import (
    LLMChoice,
    LLMRejected,
    LLMUnavailable,
    choice_from_config,
    describe_error,
    limits_from_config,
    quiet_http_logs,
)
from airflow_ai_etl.agents.planner import PlanTask, plan
from airflow_ai_etl.agents.reflector import DEFAULT_MAX_ROUNDS, Reflector, RepairRequest
from airflow_ai_etl.agents.scope import Refusal, check_plan, check_request
from airflow_ai_etl.agents.sql_expert import SqlField, SqlTask, sql_fields, with_sql, write_sql
from airflow_ai_etl.agents.usage import UsageMeter
from airflow_ai_etl.agents.verdicts import CRITIC, CriticVote
from airflow_ai_etl.cache.calls import cache_scope
from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.observability import metrics
from airflow_ai_etl.observability.metrics import LlmCall
from airflow_ai_etl.spec import PipelineSpec
from airflow_ai_etl.spec.models import DagId
from airflow_ai_etl.validation.context import ValidationContext
from airflow_ai_etl.validation.report import Finding, Report, Severity

if TYPE_CHECKING:
    from pydantic_ai import Tool

    from airflow_ai_etl.agents.guard import ModelGuard
    from airflow_ai_etl.agents.llm import LLM, AgentCall
    from airflow_ai_etl.agents.offline import OfflinePlan

SCHEMA_ANALYST = "schema_analyst"
PLANNER = "planner"
SQL_EXPERT = "sql_expert"
QA_VALIDATOR = "qa_validator"
REFLECTOR = "reflector"
RENDERER = "renderer"
OFFLINE_PLANNER = "offline_planner"
ORCHESTRATOR = "orchestrator"

#: Agents that may call a model, each configurable on its own.
LLM_AGENTS = (SCHEMA_ANALYST, PLANNER, SQL_EXPERT)

#: PipelineSpec.request's own limit, checked up front so a long request is a clear user error.
MAX_REQUEST_CHARS = 20_000

_DAG_ID = TypeAdapter(DagId)


def _model_errors() -> tuple[type[BaseException], ...]:
    """What a model call can fail with, imported on first use: the offline path loads no model library."""
    from airflow_ai_etl.agents.llm import MODEL_ERRORS

    return MODEL_ERRORS


class Refused(Exception):
    """A request or a plan asks for something a pipeline must not do; the run ends with the refusal."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


@dataclass
class _Run:
    request: str
    catalogs: Sequence[SchemaCatalog]
    dag_id: str | None
    today: dt.date
    llm: LLMChoice | None
    agent_llms: Mapping[str, LLMChoice | LLM]
    tools: Sequence[Tool[Any]] | None
    context: ValidationContext | None
    max_rounds: int
    dry_run: bool
    on_event: EventCallback | None
    offline: bool = False
    schedule: str | None = None
    events: list[Event] = field(default_factory=list)
    meter: UsageMeter = field(default_factory=UsageMeter)
    subset: list[SchemaCatalog] = field(default_factory=list)
    spec: PipelineSpec | None = None
    report: Report = field(default_factory=Report)
    rounds: int = 0
    reflector: Reflector | None = None
    guard: ModelGuard | None = None  # made for the first model call (see model_guard)
    planned_by: str = PLANNED_BY_MODEL
    fallback: str | None = None
    #: What the offline planner could not place; None while a model plans (then coverage.py accounts).
    offline_leftovers: list[str] | None = None
    calls: list[LlmCall] = field(default_factory=list)
    vote: CriticVote | None = None

    # -- events and results -------------------------------------------------------------------

    def emit(
        self,
        agent: str,
        message: str,
        *,
        started: float | None = None,
        call: AgentCall | None = None,
        level: Level = "info",
        phase: Phase = "end",
        **data: Any,
    ) -> None:
        duration_ms = call.duration_ms if call else (time.perf_counter() - started) * 1000 if started else 0.0
        if call is not None and call.cache.tier is not None:
            message = f"{message} (answer from the LLM cache, {call.cache.tier} tier)"
            data = {**data, "cache": call.cache.tier}
        event = Event(
            agent=agent,
            message=message,
            duration_ms=duration_ms,
            input_tokens=call.usage.input_tokens if call else 0,
            output_tokens=call.usage.output_tokens if call else 0,
            level=level,
            phase=phase,
            data=data,
        )
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)

    def begin(self, agent: str, message: str, **data: Any) -> None:
        """Announce a step as it starts: its end event (or none, when the run stops in it) follows."""
        self.emit(agent, message, phase="start", **data)

    def result(
        self, *, source: str | None = None, reason: str | None = None, refusal: Refusal | None = None
    ) -> GenerationResult:
        ok = source is not None
        not_understood = self.account_clauses() if self.spec is not None and refusal is None else []
        if ok and self.spec is not None:  # what pipeline memory checks before adapting this draft
            from airflow_ai_etl.memory.fingerprints import spec_fingerprints

            fingerprints = spec_fingerprints(self.spec.model_dump(mode="json"), self.catalogs)
            self.report = self.report.model_copy(update={"catalog_fingerprints": fingerprints})
        if not ok:
            self.emit(ORCHESTRATOR, f"generation failed: {reason}", level="error")
        return GenerationResult(
            ok=ok,
            spec=self.spec,
            report=self.report,
            source=source,
            events=self.events,
            usage=self.meter.summary(),
            reason=reason,
            rounds=self.rounds,
            repair_rounds=self.reflector.history if self.reflector else [],
            planned_by=self.planned_by,
            fallback=self.fallback,
            refusal=str(refusal) if refusal else None,
            not_understood=not_understood,
            critics=self.vote,
        )

    def account_clauses(self) -> list[str]:
        """List, in the report and an event, every clause of the request the plan leaves out."""
        from airflow_ai_etl.agents.coverage import Clause, unplanned_clauses

        assert self.spec is not None
        if self.offline_leftovers is not None:
            clauses = [Clause(words, "phrase") for words in self.offline_leftovers]
        else:
            clauses = unplanned_clauses(self.request, self.spec, self.catalogs)
        if clauses:
            self.report = self.report.model_copy(deep=True).extend(c.finding() for c in clauses)
            said = "; ".join(f"{c.what} '{c.words}'" for c in clauses)
            self.emit(ORCHESTRATOR, f"not understood (not in the plan): {said}", level="warning")
        return [c.words for c in clauses]

    @contextmanager
    def agent_call(self, agent: str, llm: LLM | None, *, count_failed: bool = True) -> Iterator[AgentCall]:
        """Time and count one model call through the generation's guard; its usage, and its failed
        requests, are recorded even when it fails. Calls of one agent made at once count the
        agent's failed requests once: in the call opened first (`count_failed` off for the rest)."""
        from airflow_ai_etl.agents.llm import AgentCall

        guard = self.model_guard()
        call = AgentCall(model=llm.guarded(guard) if llm else None)
        failed_before = guard.failed.get(agent, 0)
        ok = False
        try:
            yield call
            ok = True
        finally:
            failed = guard.failed.get(agent, 0) - failed_before if count_failed else 0
            self.meter.add(agent, call.usage, call.cache, failed=failed)
            if llm is not None:
                self.observe_call(agent, llm, call, ok=ok)

    def model_guard(self) -> ModelGuard:
        """The generation's one guard, shared by every agent that calls a model."""
        if self.guard is None:
            from airflow_ai_etl.agents.guard import ModelGuard

            limits = limits_from_config()
            self.guard = ModelGuard(
                budget_s=limits.budget_s, max_retries=limits.max_retries, on_progress=self.model_progress
            )
        return self.guard

    def observe_call(self, agent: str, llm: LLM, call: AgentCall, *, ok: bool) -> None:
        """Report one agent call as metrics now, and keep it for the telemetry rows at the end."""
        from airflow_ai_etl.observability import metrics

        usage = call.usage
        cost = None if usage.cost is None or not usage.requests else float(usage.cost)
        record = metrics.LlmCall(
            agent=agent,
            model=f"{llm.model.system}:{llm.model.model_name}",
            ok=ok,
            cache_tier=call.cache.tier,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cost_usd=cost,
            duration_s=call.duration_ms / 1000,
        )
        metrics.llm_call(record)
        self.calls.append(record)

    def check_scope(self) -> None:
        """Refuse a plan that sends data outside the named connections or changes data in place."""
        assert self.spec is not None
        refusal = check_plan(self.spec, self.request, self.catalogs)
        if refusal is not None:
            raise Refused(refusal)

    # -- set-up -------------------------------------------------------------------------------

    def input_problem(self) -> str | None:
        """What is wrong with the caller's input (a user error, reported as the reason), if anything."""
        if not self.request.strip():
            return "the request is empty: describe the pipeline in a sentence or two"
        if len(self.request) > MAX_REQUEST_CHARS:
            return f"the request has {len(self.request)} characters; the limit is {MAX_REQUEST_CHARS}"
        if self.dag_id is not None:
            try:
                _DAG_ID.validate_python(self.dag_id)
            except ValidationError:
                return (
                    f"dag_id {self.dag_id!r} is not valid: use a letter, then letters, digits or underscores"
                )
        return None

    def connect_llm(self, agent: str) -> tuple[LLM | None, str]:
        """The agent's model, or None and the reason there is none.

        Raises LLMUnavailable when a connection is named but gives no model (it does not exist,
        has the wrong type, names no model): that is a configuration error to report, like a
        rejected key, not a reason to plan offline.
        """
        given = self.agent_llms.get(agent)
        if given is not None and not isinstance(given, LLMChoice):
            return given, ""
        wide = self.llm or LLMChoice()
        override = (
            LLMChoice(conn_id=given.conn_id or wide.conn_id, model=given.model or wide.model)
            if given
            else wide
        )
        if choice_from_config(agent, override).conn_id is None:
            return None, "no LLM connection is configured ([ai_etl] llm_conn_id or model_chain)"
        from airflow_ai_etl.agents.llm import connect

        return connect(agent, override), ""

    # -- the agents -----------------------------------------------------------------------------

    def select_schema(self) -> None:
        from airflow_ai_etl.agents.schema_analyst import select_schema

        llm = None if self.offline else self.connect_llm(SCHEMA_ANALYST)[0]
        available = sum(len(c.tables) for c in self.catalogs)
        self.begin(SCHEMA_ANALYST, f"choosing tables among {available} of {len(self.catalogs)} connection(s)")
        started = time.perf_counter()
        call: AgentCall | None = None
        # Asked for offline, the offline planner reads the whole catalogs and links by meaning itself
        # when the words need it: the analyst's choice is only reported, and loading the embedding
        # model for it alone (seconds per task process) is waste.
        if llm is None:
            selection = select_schema(self.request, self.catalogs, by_meaning=not self.offline)
        else:
            with self.agent_call(SCHEMA_ANALYST, llm) as call:  # the model's tokens count, like any agent's
                selection = select_schema(self.request, self.catalogs, llm=llm, call=call)
                call.ended = time.perf_counter()
        if llm is not None and not selection.refined_by_model:
            self.emit(
                SCHEMA_ANALYST,
                "the model gave no usable choice: keeping the ranking's tables",
                level="warning",
                model=llm.label,
            )
        self.subset = selection.subset()
        tables = {c.conn_id: [t.qualified_name for t in c.tables] for c in self.subset}
        count = sum(len(names) for names in tables.values())
        self.emit(
            SCHEMA_ANALYST,
            f"chose {count} table(s) for the request",
            started=started,
            call=call,
            tables=tables,
            refined_by_model=selection.refined_by_model,
        )

    def plan_with_model(self, llm: LLM, repair: list[Finding]) -> PipelineSpec:
        task = PlanTask(
            request=self.request,
            catalogs=self.subset,
            today=self.today,
            dag_id=self.dag_id,
            previous=self.spec if repair else None,
            findings=repair,
            existing_tables=existing_tables(self.request, self.catalogs),
            examples=[] if repair else approved_examples(self.request, [c.conn_id for c in self.catalogs]),
        )
        doing = f"repairing the spec ({len(repair)} finding(s))" if repair else "planning the spec"
        self.begin(PLANNER, doing, model=llm.label)
        with self.agent_call(PLANNER, llm) as call:
            try:
                spec = plan(llm, task, call)
            except _model_errors() as exc:
                self.emit(PLANNER, f"the model failed: {describe_error(exc)}", call=call, level="error")
                raise
        what = f"repaired the spec ({len(repair)} finding(s))" if repair else "planned the spec"
        self.emit(PLANNER, f"{what}: {len(spec.steps)} step(s)", call=call, model=llm.label)
        self.spec = spec
        self.check_scope()
        return spec

    def plan_offline(self, why: str, *, unavailable: str | None = None) -> GenerationResult:
        """Plan with the offline planner; `unavailable` is why the configured model could not plan."""
        from airflow_ai_etl.agents.offline import plan_offline

        if unavailable is not None:
            self.fallback = unavailable
            why = f"model unavailable: {unavailable}"
        self.planned_by = f"offline ({why})"
        self.emit(
            OFFLINE_PLANNER,
            f"using the offline planner: {why}",
            level="warning",
            planned_by=self.planned_by,
            fallback=unavailable is not None,
        )
        self.begin(OFFLINE_PLANNER, "planning the spec from the request's words")
        started = time.perf_counter()
        offline = plan_offline(self.request, list(self.catalogs), dag_id=self.dag_id, today=self.today)
        self.emit(
            OFFLINE_PLANNER,
            "planned the spec" if offline.ok else f"could not plan: {offline.reason}",
            started=started,
            level="info" if offline.ok else "error",
            understood=list(offline.understood),
            not_understood=list(offline.not_understood),
        )
        self.spec = offline.spec
        self.offline_leftovers = list(offline.not_understood)
        if not offline.ok or self.spec is None:
            unplaced = (
                f" (not understood: {', '.join(offline.not_understood)})" if offline.not_understood else ""
            )
            return self.result(reason=f"offline planner: {offline.reason}{unplaced}")
        if not self.adapted_from_memory(offline):
            self.check_scope()
            self.qa()
        if not self.report.ok:
            return self.result(reason=f"the offline plan does not validate: {self.error_codes()}")
        return self.render()

    def adapted_from_memory(self, offline: OfflinePlan) -> bool:
        """Adapt the nearest approved pipeline of the same shape, validated like any draft; on
        success the spec, report and `planned_by` say so. False (and the plain plan stands, not yet
        validated) when none adapts: the memory improves a plan, it is not another way to fail."""
        from airflow_ai_etl.agents.grounding import approved_candidates
        from airflow_ai_etl.agents.offline.adapt import adapt_nearest

        assert offline.spec is not None
        candidates = approved_candidates(self.request, [c.conn_id for c in self.catalogs])
        adapted = adapt_nearest(offline, candidates, self.catalogs, today=self.today)
        if adapted is None:
            return False
        self.spec = adapted.spec
        try:
            self.check_scope()
        except Refused:
            self.spec = offline.spec
            return False
        self.qa()
        if not self.report.ok:
            self.emit(
                OFFLINE_PLANNER,
                f"not {adapted.note}: it does not validate ({self.error_codes()}); the plain plan stands",
                level="info",
            )
            self.spec, self.report = offline.spec, Report()
            return False
        self.planned_by = f"{self.planned_by}, {adapted.note}"
        self.report = self.report.model_copy(deep=True).extend(
            [Finding(severity=Severity.INFO, code="plan.adapted", message=f"this draft was {adapted.note}")]
        )
        source = adapted.pipeline
        self.emit(OFFLINE_PLANNER, adapted.note, planned_by=self.planned_by, adapted_from=source.dag_id)
        return True

    def write_sql(
        self, llm: LLM, target: SqlField, findings: list[Finding], tools: Sequence[Tool[Any]]
    ) -> None:
        """Have the SQL expert write or repair one statement, and put it into the spec."""
        assert self.spec is not None
        step = self.spec.step(target.step_id)
        # The schema analyst's cut, not the whole catalog: the tools can look up anything else.
        catalog = next((c for c in self.subset if c.conn_id == target.conn_id), None)
        task = SqlTask(
            step_id=target.step_id,
            field=target.field,
            conn_id=target.conn_id,
            dialect=self.dialect(target.conn_id),
            sql=target.sql,
            purpose=f"{step.description}\n(pipeline request: {self.request})".strip(),
            catalog=catalog,
            findings=findings,
        )
        doing = "repairing" if findings else "checking"
        self.begin(SQL_EXPERT, f"{doing} the SQL of {target.step_id}.{target.field}", step_id=target.step_id)
        with self.agent_call(SQL_EXPERT, llm) as call:
            try:
                sql = write_sql(llm, task, call, tools=tools)
            except _model_errors() as exc:
                self.emit(
                    SQL_EXPERT,
                    f"{target.step_id}.{target.field}: the model failed: {describe_error(exc)}",
                    call=call,
                    level="error",
                    step_id=target.step_id,
                )
                raise
        self.spec = with_sql(self.spec, target, sql)
        self.check_scope()
        verb = "repaired" if findings else ("kept" if sql == target.sql else "rewrote")
        self.emit(
            SQL_EXPERT,
            f"{verb} the SQL of {target.step_id}.{target.field}",
            call=call,
            step_id=target.step_id,
            field=target.field,
            changed=sql != target.sql,
        )

    def dialect(self, conn_id: str) -> str:
        if self.context is not None:
            return self.context.dialect(conn_id)
        catalog = next((c for c in self.catalogs if c.conn_id == conn_id), None)
        return catalog.dialect if catalog else ""

    def validation_context(self, spec: PipelineSpec) -> ValidationContext:
        """The caller's context, or Airflow's connections with the catalogs this run was given;
        either way the spec's author is generation, so no destructive grant is honoured."""
        if self.context is not None:
            return replace(self.context, author="generation")
        from airflow_ai_etl.validation.context import context_from_airflow

        found = context_from_airflow(spec, introspect_schemas=False)
        catalogs = {c.conn_id: c for c in self.catalogs}
        return ValidationContext(connections=found.connections, catalogs=catalogs, author="generation")

    def qa(self) -> None:
        from airflow_ai_etl.agents.qa import qa_check

        assert self.spec is not None
        reads = " and dry-running its reads" if self.dry_run else ""
        self.begin(QA_VALIDATOR, f"validating the spec{reads}")
        started = time.perf_counter()
        result = qa_check(self.spec, self.validation_context(self.spec), dry_run=self.dry_run)
        self.report = result.report
        for finding in self.report.findings:
            metrics.validation_finding(code=finding.code, severity=finding.severity.value)
        errors, warnings = len(self.report.errors), len(self.report.warnings)
        self.emit(
            QA_VALIDATOR,
            "valid" if self.report.ok else f"{errors} error(s), {warnings} warning(s)",
            started=started,
            level="info" if self.report.ok else "warning",
            score=result.score,
            codes=self.report.codes(),
            dry_runs=[d.model_dump(mode="json") for d in result.dry_runs],
        )

    def error_codes(self) -> str:
        return ", ".join(dict.fromkeys(f.code for f in self.report.errors))

    def apply_schedule(self) -> None:
        """The caller's schedule wins over the planner's reading of the words (a person chose it)."""
        from airflow_ai_etl.spec import SpecError, parse_spec, spec_to_data

        assert self.spec is not None
        if not self.schedule or self.spec.schedule == self.schedule:
            return
        try:
            self.spec = parse_spec({**spec_to_data(self.spec), "schedule": self.schedule}, "schedule")
        except SpecError as exc:
            self.emit(ORCHESTRATOR, f"schedule {self.schedule!r} not applied: {exc}", level="warning")
            return
        self.emit(ORCHESTRATOR, f"schedule set to {self.schedule!r} as asked")

    def render(self) -> GenerationResult:
        from airflow_ai_etl.render import RenderError, render_dag

        self.apply_schedule()
        assert self.spec is not None
        self.begin(RENDERER, "rendering the DAG file")
        started = time.perf_counter()
        try:
            source = render_dag(self.spec)
        except RenderError as exc:
            self.emit(RENDERER, f"could not render: {exc}", started=started, level="error")
            return self.result(reason=f"render: {exc}")
        self.emit(RENDERER, f"rendered {len(source.splitlines())} lines", started=started)
        return self.result(source=source)

    # -- the run ----------------------------------------------------------------------------------

    def run(self) -> GenerationResult:
        problem = self.input_problem()
        if problem is not None:
            return self.result(reason=problem)
        refusal = check_request(self.request, self.catalogs)
        if refusal is not None:
            return self.refuse(refusal)
        quiet_http_logs()
        try:
            return self.run_agents()
        except (LLMUnavailable, LLMRejected) as exc:
            # Planning offline instead would hide the mistake (and `--deploy` would publish that plan).
            return self.result(reason=f"{exc}; fix the connection, or generate offline (--offline)")
        except Refused as exc:
            return self.refuse(exc.refusal)

    def refuse(self, refusal: Refusal) -> GenerationResult:
        self.emit(ORCHESTRATOR, str(refusal), level="error", clause=refusal.clause)
        return self.result(reason=str(refusal), refusal=refusal)

    def model_progress(self, agent: str, message: str) -> None:
        self.emit(agent, message, level="warning")

    def run_agents(self) -> GenerationResult:
        self.select_schema()
        if self.offline:
            return self.plan_offline("asked for")
        planner, why = self.connect_llm(PLANNER)
        if planner is None:
            return self.plan_offline(why)
        try:
            self.spec = self.plan_with_model(planner, [])
        except _model_errors() as exc:
            from airflow_ai_etl.agents.guard import is_outage, short_reason

            if is_outage(exc):
                return self.plan_offline("", unavailable=short_reason(exc))
            return self.result(reason=f"planner: {describe_error(exc)}")
        sql_llm, sql_why = self.connect_llm(SQL_EXPERT)
        tools = self.agent_tools()
        if sql_llm is None:
            self.emit(SQL_EXPERT, f"skipped: {sql_why}", level="warning")
        else:
            self.first_sql_pass(sql_llm, tools)
        return self.repair_loop(planner, sql_llm, tools)

    def agent_tools(self) -> Sequence[Tool[Any]]:
        if self.tools is not None:
            return self.tools
        from airflow_ai_etl.agents.tools import ToolContext
        from airflow_ai_etl.agents.tools.registry import agent_tools

        connections = self.context.connections if self.context is not None else {}
        return agent_tools(
            ToolContext(catalogs={c.conn_id: c for c in self.catalogs}, connections=connections)
        )

    def first_sql_pass(self, llm: LLM, tools: Sequence[Tool[Any]]) -> None:
        """The SQL expert checks each statement of the plan; when the model goes down, the plan's stay."""
        assert self.spec is not None
        for target in sql_fields(self.spec):
            try:
                self.write_sql(llm, target, [], tools)
            except _model_errors() as exc:
                from airflow_ai_etl.agents.guard import is_outage

                if is_outage(exc):
                    self.emit(
                        SQL_EXPERT, "the model is unavailable: keeping the planner's SQL", level="warning"
                    )
                    return

    def repair_loop(self, planner: LLM, sql_llm: LLM | None, tools: Sequence[Tool[Any]]) -> GenerationResult:
        reflector = self.reflector = Reflector(self.max_rounds)
        while True:
            assert self.spec is not None
            self.qa()
            if self.report.ok:
                return self.critique_and_render(planner)
            reflection = reflector.reflect(self.spec, self.report)
            if reflection.repair is None:
                self.emit(REFLECTOR, f"stopping: {reflection.stop_reason}", level="warning")
                return self.result(
                    reason=f"the spec does not validate ({self.error_codes()}): {reflection.stop_reason}"
                )
            self.rounds = reflector.rounds
            repair = reflection.repair
            self.emit(
                REFLECTOR,
                f"round {self.rounds}: {len(self.report.errors)} error(s); "
                f"{len(repair.planner)} finding(s) for the planner, "
                f"{len(repair.sql)} statement(s) for the SQL expert",
                round=self.rounds,
                errors=len(self.report.errors),
                planner=[f.code for f in repair.planner],
                sql=[f"{r.step_id}.{r.field}" for r in repair.sql],
            )
            try:
                self.apply(repair, planner, sql_llm, tools)
            except _model_errors() as exc:
                return self.result(reason=f"repair round {self.rounds}: {describe_error(exc)}")

    def critique_and_render(self, planner: LLM) -> GenerationResult:
        """The critics vote on the valid draft; a flagged one goes back to the planner once with
        their mismatches. A revision that fails (the model, or validation) leaves the draft the
        critics judged, flag and all."""
        assert self.reflector is not None and self.spec is not None
        vote = self.vote = self.critique()
        findings = self.reflector.critic_round(vote) if vote is not None else []
        if findings:
            judged = (self.spec, self.report)
            self.emit(
                REFLECTOR,
                f"critic round: {len(findings)} mismatch(es) back to the planner",
                planner=[f.message for f in findings],
            )
            problem = None
            try:
                self.plan_with_model(planner, findings)
                self.qa()
            except _model_errors() as exc:
                problem = f"the planner failed: {describe_error(exc)}"
            if problem is None and not self.report.ok:
                problem = f"the revision does not validate ({self.error_codes()})"
            if problem is None:
                self.vote = self.critique()
            else:
                self.spec, self.report = judged
                self.emit(REFLECTOR, f"keeping the draft the critics flagged: {problem}", level="warning")
        return self.render()

    def critique(self) -> CriticVote | None:
        """Each critic's verdict (asked at once, each within its time-out), one event each, and
        the vote; None when no critic has a model."""
        from airflow_ai_etl.agents.critics import ask_critics, critic_llms, critic_settings

        assert self.spec is not None
        settings = critic_settings()
        given = self.agent_llms.get(CRITIC)
        if given is not None and not isinstance(given, LLMChoice):
            llms = [given] * settings.count
        else:
            llms = critic_llms(settings, given or self.llm)
        if not llms:
            return None
        self.begin(CRITIC, f"{len(llms)} critic(s) judge the draft at once")
        with ExitStack() as calls_open:
            calls = [
                calls_open.enter_context(self.agent_call(CRITIC, llm, count_failed=i == 0))
                for i, llm in enumerate(llms)
            ]
            verdicts = ask_critics(llms, self.request, self.spec, calls, timeout_s=settings.timeout_s)
        for verdict, call in zip(verdicts, calls, strict=True):
            self.emit(
                CRITIC,
                str(verdict),
                call=call,
                level="info" if verdict.verdict == "agrees" else "warning",
                verdict=verdict.model_dump(mode="json"),
            )
        vote = CriticVote(verdicts=verdicts, threshold=settings.agreement)
        self.emit(
            CRITIC,
            vote.summary(),
            level="warning" if vote.flagged else "info",
            agreement=round(vote.agreement, 4),
            flagged=vote.flagged,
        )
        return vote

    def apply(
        self,
        repair: RepairRequest,
        planner: LLM,
        sql_llm: LLM | None,
        tools: Sequence[Tool[Any]],
    ) -> None:
        if repair.planner:
            self.spec = self.plan_with_model(planner, repair.planner)
        assert self.spec is not None
        fields = {(f.step_id, f.field): f for f in sql_fields(self.spec)}
        for item in repair.sql:
            target = fields.get((item.step_id, item.field))
            if target is None:  # the planner's repair removed or reshaped the step
                continue
            self.write_sql(sql_llm or planner, target, item.findings, tools)


def generate(
    request: str,
    catalogs: Sequence[SchemaCatalog],
    *,
    dag_id: str | None = None,
    today: dt.date | None = None,
    llm: LLMChoice | None = None,
    agent_llms: Mapping[str, LLMChoice | LLM] | None = None,
    tools: Sequence[Tool[Any]] | None = None,
    context: ValidationContext | None = None,
    max_rounds: int = DEFAULT_MAX_ROUNDS,
    dry_run: bool = True,
    on_event: EventCallback | None = None,
    offline: bool = False,
    schedule: str | None = None,
) -> GenerationResult:
    """Turn a plain-language request into a validated spec and its DAG source.

    `catalogs` are the schemas of the connections the request may use. `llm` overrides the
    `[ai_etl]` connection/model for every agent, `agent_llms` for single agents (by name in
    LLM_AGENTS; a ready `LLM` is used as given). `tools` are the SQL expert's tools (default:
    the grounding tools over these catalogs). `context` is what validation checks against
    (default: Airflow's connections with these catalogs). `max_rounds` bounds the repair rounds.
    `offline` uses the deterministic offline planner whatever models are configured. `schedule`
    (cron or preset) replaces the planner's schedule of a valid spec.
    """
    from airflow_ai_etl.agents.coder import check_transforms

    started = time.perf_counter()
    with cache_scope(request, catalogs, dag_id=dag_id):
        run = _Run(
            request=request,
            catalogs=catalogs,
            dag_id=dag_id,
            today=today or dt.date.today(),
            llm=llm,
            agent_llms=agent_llms or {},
            tools=tools,
            context=context,
            max_rounds=max_rounds,
            dry_run=dry_run,
            on_event=on_event,
            offline=offline,
            schedule=schedule,
        )
        # Transforms' code is checked (and written by the coder) before the draft is offered.
        result = check_transforms(run.run(), llm, offline=offline)
    observe(result, run.calls, time.perf_counter() - started)
    return result


def agent_run(
    request: str,
    catalogs: Sequence[SchemaCatalog],
    *,
    dag_id: str | None,
    llm: LLMChoice | None,
    on_event: EventCallback | None,
) -> _Run:
    """A run for an agent outside the pipeline loop (the vision agent), with what `generate` gives
    its agents: the model guard and the call's metrics (`agent_call`), events (`emit`) and usage by
    agent (`meter`). Call it inside `cache_scope`, and `observe` the result at the end."""
    return _Run(
        request=request,
        catalogs=catalogs,
        dag_id=dag_id,
        today=dt.date.today(),
        llm=llm,
        agent_llms={},
        tools=(),
        context=None,
        max_rounds=0,
        dry_run=False,
        on_event=on_event,
    )


def observe(result: GenerationResult, calls: Sequence[LlmCall], duration_s: float) -> None:
    """The generation's metrics, and a telemetry row per model call under the pipeline's dag_id."""
    import uuid

    from airflow_ai_etl.observability import telemetry

    outcome = "failed" if not result.ok else "fallback" if result.fallback else "ready"
    metrics.generation_finished(
        outcome=outcome,
        planner="model" if result.planned_by == PLANNED_BY_MODEL else "offline",
        duration_s=duration_s,
        repair_rounds=result.rounds,
    )
    generation_id = uuid.uuid4().hex
    dag_id = result.spec.dag_id if result.spec is not None else ""
    for call in calls:
        telemetry.record(
            telemetry.LlmCallRow(
                generation_id=generation_id,
                dag_id=dag_id,
                agent=call.agent,
                model=call.model,
                outcome="ok" if call.ok else "failed",
                cache_tier=call.cache_tier or "none",
                input_tokens=call.input_tokens,
                output_tokens=call.output_tokens,
                cost_usd=call.cost_usd,
                latency_s=call.duration_s,
            )
        )
