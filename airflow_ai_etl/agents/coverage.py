"""Every clause of a request is in the plan or listed as not understood, whoever planned it.

The offline planner knows what it could not place. A model's plan is accounted afterwards: the
offline grammar (`parse_request`) reads the request into clauses over the same catalogs, and each
is looked for in the plan by what it asks for, not by its wording:

- a filter: a WHERE/HAVING/ON/QUALIFY condition of the plan's SQL on the column it names (by
  spelling, or by the column the word resolves to, as the offline planner resolves it);
- a quality rule: a check of its kind (on its column, when it names one), or an expression check
  on that column;
- an aggregation: its aggregate function in the plan's SQL;
- a schedule: a schedule; an e-mail address: a failure notification to it;
- the tables named as sources and the target: a step that reads or writes them;
- a load mode (incremental, upsert, replace, append): a step loading that way;
- words the grammar could not read: every content word of the phrase among the plan's own words
  (its identifiers, values and SQL), so "check that order_id is unique" counts as planned only
  when the plan says `order_id` and `unique` somewhere.

What is missing becomes a warning `request.not_planned` naming the clause in the request's words:
listed on every surface that shows the report (CLI, REST API, review page), never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.spec import PipelineSpec
from airflow_ai_etl.sql_depth import deep_nesting
from airflow_ai_etl.steps import registry
from airflow_ai_etl.validation.report import Finding, Severity
from airflow_ai_etl.validation.schema import same_table

#: The finding code of a clause the plan leaves out.
NOT_PLANNED = "request.not_planned"

_AGGREGATES: dict[str, type[exp.Expr]] = {
    "sum": exp.Sum,
    "avg": exp.Avg,
    "count": exp.Count,
    "count_distinct": exp.Count,
    "min": exp.Min,
    "max": exp.Max,
}
_CONDITIONS = (exp.Where, exp.Having, exp.Qualify, exp.Join)
_WORDS = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")


@dataclass(frozen=True)
class Clause:
    """One clause of a request: its words, and what kind of clause the grammar read it as."""

    words: str
    what: str

    def finding(self) -> Finding:
        return Finding(
            severity=Severity.WARNING,
            code=NOT_PLANNED,
            message=f"not understood: the request's {self.what} '{self.words}' is not in the plan",
            hint="regenerate with feedback that restates it, or edit the spec",
        )


class _Plan:
    """What a spec does, in the terms clauses are compared with."""

    def __init__(self, spec: PipelineSpec, catalogs: Sequence[SchemaCatalog]) -> None:
        from airflow_ai_etl.agents.sql_expert import sql_fields

        self.spec = spec
        self.catalogs = catalogs
        self.default_schemas = {c.conn_id: c.default_schema for c in catalogs}
        dialects = {c.conn_id: c.dialect for c in catalogs}
        uses = registry.table_uses(spec.steps, dialects)
        self.reads = [ref for use in uses for ref in use.reads]
        self.writes = [ref for use in uses for ref in use.writes]
        facts = [registry.kind_of(step).eval_facts(step) for step in spec.steps]
        self.modes = {mode for fact in facts for mode in fact.modes}
        self.checks = {check for fact in facts for check in fact.checks}
        self.statements: list[exp.Expr] = []
        for field in sql_fields(spec):
            try:
                with deep_nesting():
                    parsed = sqlglot.parse(field.sql, read=dialects.get(field.conn_id))
            except (SqlglotError, RecursionError):
                continue  # validation reports unparsable SQL; it accounts for no clause
            self.statements += [statement for statement in parsed if statement]
        self.words = _plan_words(spec)

    def condition_columns(self) -> set[str]:
        return {
            column.name.lower()
            for statement in self.statements
            for clause in statement.find_all(*_CONDITIONS)
            for column in clause.find_all(exp.Column)
        }

    def has_aggregate(self, function: str) -> bool:
        node = _AGGREGATES[function]
        found = (n for s in self.statements for n in s.find_all(node))
        if function == "count_distinct":
            return any(n.find(exp.Distinct) for n in found)
        return any(True for _ in found)

    def names_column(self, word: str) -> set[str]:
        """The column names `word` may stand for: itself, and what it resolves to in any table."""
        from airflow_ai_etl.agents.offline.names import resolve_column

        names = {word.lower().replace(" ", "_")}
        for catalog in self.catalogs:
            for table in catalog.tables:
                column = resolve_column(table, word)
                if column is not None:
                    names.add(column.name.lower())
        return names

    def uses(self, conn_id: str | None, table: str, *, writing: bool = False) -> bool:
        """Whether a step writes (or, unless `writing`, reads or writes) this table."""
        refs = self.writes if writing else [*self.reads, *self.writes]
        return any(
            (conn_id is None or ref_conn == conn_id)
            and same_table(ref_table, table, self.default_schemas.get(ref_conn))
            for ref_conn, ref_table in refs
        )

    def says(self, phrase: str) -> bool:
        """Every content word of `phrase` is among the plan's words (singular or plural alike)."""
        from airflow_ai_etl.agents.offline.names import singular
        from airflow_ai_etl.agents.offline.text import FILLER

        words = [w for w in _WORDS.findall(phrase.lower()) if w not in FILLER]
        return all(w in self.words or singular(w) in self.words for w in words)


def _plan_words(spec: PipelineSpec) -> set[str]:
    """Every word of the spec's values (identifiers whole and split at `_`), SQL included, but
    not the request it quotes."""
    from airflow_ai_etl.agents.offline.names import singular

    text = spec.model_dump_json(exclude={"request", "description"}).lower()
    words: set[str] = set()
    for token in _WORDS.findall(text):
        words.add(token)
        words.update(token.split("_"))
    return words | {singular(w) for w in words}


def unplanned_clauses(request: str, spec: PipelineSpec, catalogs: Sequence[SchemaCatalog]) -> list[Clause]:
    """The clauses of `request` (as the offline grammar reads them) that `spec` does not carry out."""
    from airflow_ai_etl.agents.offline.intent import parse_request
    from airflow_ai_etl.agents.offline.tables import PlanningError

    try:
        intent = parse_request(request, catalogs)
    except PlanningError:
        return []  # a request the grammar cannot read cannot be accounted clause by clause
    plan = _Plan(spec, catalogs)
    missing: list[Clause] = []
    filtered = plan.condition_columns()
    missing += [
        Clause(f.words, "filter") for f in intent.filters if not plan.names_column(f.column) & filtered
    ]
    for check in intent.checks:
        column_ok = check.column is None or bool(plan.names_column(check.column) & plan.words)
        expressed = "expression" in plan.checks and check.column is not None and column_ok
        if not ((check.kind in plan.checks and column_ok) or expressed):
            missing.append(Clause(" ".join(filter(None, [check.column, check.kind])), "quality rule"))
    if intent.aggregation is not None and not plan.has_aggregate(intent.aggregation.function):
        said = " ".join(filter(None, [intent.aggregation.function, intent.aggregation.measure]))
        missing.append(Clause(said, "aggregation"))
    if intent.schedule is not None and plan.spec.schedule is None:
        missing.append(Clause(intent.schedule.description, "schedule"))
    notified = set(plan.spec.on_failure.to) if plan.spec.on_failure else set()
    missing += [Clause(e, "failure notification") for e in intent.emails if e not in notified]
    for word, candidates in zip(intent.mentions.source_words, intent.mentions.sources, strict=False):
        if candidates and not any(plan.uses(ref.conn_id, ref.name) for ref in candidates):
            missing.append(Clause(word, "source table"))
    target = intent.target
    if target.table is not None and not plan.uses(target.conn_id, target.table, writing=True):
        missing.append(Clause(target.table, "target table"))
    mode = intent.mode
    for name in ("incremental", "upsert", "replace", "append"):
        if getattr(mode, name) and name not in plan.modes:
            missing.append(Clause(name, "load mode"))
    if mode.watermark is not None and not plan.says(mode.watermark):
        missing.append(Clause(mode.watermark, "watermark column"))
    missing += [Clause(p, "phrase") for p in intent.not_understood if not plan.says(p)]
    return missing
