"""The offline planner: a plain-language request + catalogs -> a PipelineSpec, with no model.

It is the demo's default and the fallback when no model is configured or reachable. It reads a
fixed set of phrasings (see the package docstring), grounds every table and column in the given
catalogs, and says what it understood and what it did not. It never guesses a table: an unknown or
ambiguous name ends the plan with a message naming the candidates.

Load mode when the request names none: a full copy (replace) on every run — idempotent, needs no
key, and what "copy" means. "new"/"incremental"/"changes since" make it incremental on the table's
change timestamp; "sync"/"upsert"/"dedupe"/"by <key>" make it an upsert; "append" appends.

Catalog text (comments) is data: the planner reads names and types from catalogs, never comments,
and builds SQL as sqlglot trees, so no catalog or request text becomes SQL of its own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from airflow_ai_etl.agents.offline.intent import read_intent
from airflow_ai_etl.agents.offline.names import (
    EVENT_TIME_NAMES,
    WATERMARK_NAMES,
    TableRef,
    is_numeric,
    is_temporal,
    name_forms,
    pick_time_column,
    pick_watermark,
    resolve_column,
    singular,
)
from airflow_ai_etl.agents.offline.phrases import (
    KEY_PHRASE,
    AggregationPhrase,
    CheckPhrase,
    FilterPhrase,
    ModeWords,
)
from airflow_ai_etl.agents.offline.related import JoinStep, RelatedColumn, related_column
from airflow_ai_etl.agents.offline.sqlgen import (
    Aggregation,
    Condition,
    OutputColumn,
    Value,
    aggregate_columns,
    aggregate_sql,
    create_table_sql,
    select_sql,
    storage_type,
)
from airflow_ai_etl.agents.offline.tables import Mentions, PlanningError, TableReader, TargetPhrase
from airflow_ai_etl.agents.offline.targets import (
    ResolvedTarget,
    mapped_columns,
    rename_outputs,
    resolve_target,
)
from airflow_ai_etl.agents.offline.text import CHECKING, DESTRUCTIVE, FILLER, RESTRICTING, RequestText
from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table
from airflow_ai_etl.memory.words import identifier_words
from airflow_ai_etl.spec.io import SpecError, parse_spec
from airflow_ai_etl.spec.models import PipelineSpec, TransferMode

if TYPE_CHECKING:
    from airflow_ai_etl.memory.linking import Link

TAGS = ["ai-etl", "offline-planner"]
_GRAIN_ADJECTIVES = {"hour": "hourly", "day": "daily", "week": "weekly", "month": "monthly", "year": "yearly"}
_TABLE_WORDS = frozenset({"table", "it", "target", "result", "output"})
#: Words that count rows of the table itself ("number of rows per status").
_ROWS_WORDS = frozenset({"rows", "row", "records", "record", "entries", "entry", "lines"})
#: The unclaimed word right before a table mention, past determiners that do not modify it.
_MODIFIER = re.compile(
    r"(?<![\w\x00'-])(?P<word>[A-Za-z0-9][\w'-]*)\s+(?:(?:the|a|an|all|our|my|your|its|their|every|each|any)\s+)?$",
    re.IGNORECASE,
)


class PlanSlot(BaseModel):
    """One name or value of a plan, as resolved in the catalogs: a table (`conn:schema.table`), a
    column, or a literal; `role` says where in the plan it sits (e.g. `load 0 filter 1 value`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: str
    kind: Literal["table", "column", "value"]
    value: str | int | float | bool | None


class OfflinePlan(BaseModel):
    """The planner's result: a spec, or the reason there is none, and what it read either way."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ok: bool
    spec: PipelineSpec | None = None
    understood: list[str] = Field(
        default_factory=list, description="What it took from the request, in words."
    )
    not_understood: list[str] = Field(
        default_factory=list, description="Words and phrases of the request it could not place."
    )
    reason: str | None = Field(default=None, description="Why planning failed (None when ok).")
    shape: list[str] = Field(
        default_factory=list,
        description="The plan's structure with its names and values left out (connections, load "
        "modes, filter operators, aggregate functions, check kinds): two requests of one shape "
        "differ only in their slots.",
    )
    slots: list[PlanSlot] = Field(
        default_factory=list, description="The names and values the request filled, in plan order."
    )


def plan_offline(
    request: str,
    catalogs: Sequence[SchemaCatalog],
    *,
    dag_id: str | None = None,
    today: dt.date | None = None,
) -> OfflinePlan:
    """Plan a pipeline from `request` over `catalogs`; deterministic for the same inputs."""
    text = " ".join(request.split())
    if not text:
        return OfflinePlan(
            ok=False,
            reason="the request is empty: describe the pipeline, e.g. "
            "'copy new orders to the warehouse every day at 2am'",
        )
    if not catalogs:
        return OfflinePlan(
            ok=False,
            reason="no connection catalogs were given: the planner only plans over tables it can see",
        )
    req = RequestText(text)
    planner = _Planner(req, catalogs)
    try:
        spec = planner.plan(dag_id=dag_id, today=today or dt.date.today())
    except PlanningError as exc:
        return OfflinePlan(
            ok=False, understood=planner.understood, not_understood=req.leftover_phrases(), reason=str(exc)
        )
    return OfflinePlan(
        ok=True,
        spec=spec,
        understood=planner.understood,
        not_understood=req.leftover_phrases(),
        shape=planner.shape,
        slots=planner.slots,
    )


@dataclass(frozen=True)
class _Reading:
    """What the request said, once the source tables are known."""

    target: TargetPhrase
    target_catalog: SchemaCatalog
    filters: list[FilterPhrase]
    mode: ModeWords
    key: tuple[list[str], bool] | None  # key words, and whether "key" was said outright


@dataclass
class _Load:
    """One source table's way into its target: the transfer and what it needs."""

    source: TableRef
    target_conn: SchemaCatalog
    target_table: str
    existing_target: Table | None
    target_why: str
    columns: list[OutputColumn]
    mode: TransferMode
    key: list[str]
    watermark: str | None
    sql: str | None
    ddl_key: list[str]
    aggregated: bool = False
    conditions: list[Condition] = dataclasses.field(default_factory=list)
    aggregation: Aggregation | None = None


class _Planner:
    def __init__(self, req: RequestText, catalogs: Sequence[SchemaCatalog]) -> None:
        self.req = req
        self.catalogs = list(catalogs)
        self.reader = TableReader(catalogs)
        self.understood: list[str] = []
        self._linked: list[tuple[int, str]] = []  # where a phrase linked to a source table begins, and it
        self._joins: dict[str, tuple[JoinStep, ...]] = {}  # source label -> related tables joined to it
        self._related: dict[tuple[str, str], Column] = {}  # (source label, column name) -> related column
        self.shape: list[str] = []
        self.slots: list[PlanSlot] = []

    def note(self, text: str) -> None:
        self.understood.append(text)

    # --- reading --------------------------------------------------------------------------------

    def plan(self, *, dag_id: str | None, today: dt.date) -> PipelineSpec:
        intent = read_intent(self.req, self.reader)
        if intent.destination is not None:
            raise PlanningError(
                f"the request sends data to {intent.destination!r}, which is not one of the named "
                "connections; the planner writes only into connections: name one (define a connection "
                "for it first)"
            )
        emails, filters, checks = intent.emails, intent.filters, intent.checks
        aggregation, schedule, target, mentions = (
            intent.aggregation,
            intent.schedule,
            intent.target,
            intent.mentions,
        )
        read_mode_words = intent.mode
        self._refuse_critical_leftovers()

        sources = self._sources(mentions, target)
        if aggregation is not None:
            sources = self._measured_source(sources, aggregation)
        self._flag_filters(sources, filters)
        self._value_filters(sources, filters)
        said = list(zip(mentions.source_starts, mentions.source_words, strict=True))
        self._refuse_table_modifiers(said + self._linked)
        reading = _Reading(
            target=target,
            target_catalog=self._target_catalog(sources, mentions, target),
            filters=filters,
            mode=read_mode_words,
            key=self._key_words(sources[0].table),
        )

        for index, phrase in enumerate(filters):
            if any(resolve_column(ref.table, phrase.column) for ref in sources):
                continue
            if len(sources) > 1:
                labels = ", ".join(ref.label for ref in sources)
                raise PlanningError(f"filter column {phrase.column!r} is not a column of {labels}")
            column = self._source_column(sources[0], phrase.column, "filter column")
            filters[index] = dataclasses.replace(phrase, column=column.name)
        if aggregation is not None:
            loads = [self._aggregate_load(sources, aggregation, reading)]
        else:
            loads = [self._copy_load(ref, reading, several=len(sources) > 1) for ref in sources]
        self._refuse_critical_leftovers()

        steps: list[dict[str, Any]] = []
        placed: set[int] = set()
        for load in loads:
            steps += self._steps(load, checks, placed)
        for index, rule in enumerate(checks):
            if index not in placed:
                targets = ", ".join(f"{load.target_conn.conn_id}:{load.target_table}" for load in loads)
                if rule.kind == "freshness":
                    raise PlanningError(f"freshness rule: no date or timestamp column in {targets}")
                raise PlanningError(f"quality rule on {rule.column!r}: no such column in {targets}")
        if schedule is None:
            self.note("schedule: none named, so the DAG runs only when triggered")
        else:
            self.note(f"schedule: {schedule.description} (cron '{schedule.cron}')")
        if emails:
            self.note(f"on failure: email {', '.join(emails)}")

        data: dict[str, Any] = {
            "dag_id": dag_id or self._dag_id(loads, aggregation is not None),
            "description": self._description(loads, schedule.description if schedule else None),
            "request": self.req.text,
            "schedule": schedule.cron if schedule else None,
            "start_date": today.isoformat(),
            "tags": TAGS,
            "steps": steps,
        }
        if emails:
            data["on_failure"] = {"notify": "email", "to": emails}
        self._signature(loads, steps, data)
        try:
            return parse_spec(data, source="offline plan")
        except SpecError as exc:
            problems = "; ".join(f"{path}: {message}" for path, message in exc.problems)
            raise PlanningError(f"the planned spec is not valid: {problems}") from None

    def _flag_filters(self, sources: list[TableRef], filters: list[FilterPhrase]) -> None:
        """ "active customers", "inactive users", "non-deleted rows": boolean columns said as adjectives."""
        filtered = {f.column.lower() for f in filters}
        for ref in sources:
            for column in ref.table.columns:
                if "bool" not in column.type.lower() or column.name.lower() in filtered:
                    continue
                words = identifier_words(column.name).split()  # is_active, isActive -> is active
                base = r"\s+".join(map(re.escape, words[1:] if words[0] in ("is", "has", "flag") else words))
                pattern = re.compile(rf"\b(?P<neg>non-?|not\s+|un|in)?{base}\b", re.IGNORECASE)
                match = next(iter(self.req.finditer(pattern)), None)
                if match is None:
                    continue
                self.req.claim(*match.span())
                value = not match.group("neg")
                filters.append(FilterPhrase(column.name, "=", "true" if value else "false", False))
                filtered.add(column.name.lower())

    def _value_filters(self, sources: list[TableRef], filters: list[FilterPhrase]) -> None:
        """ "cancelled orders", "orders on the pro plan": a word of the request that is a sampled
        value of one text column (catalog value summaries) filters on it; of two columns, it is a
        refusal naming both."""
        filtered = {f.column.lower() for f in filters}
        found: dict[str, list[tuple[Column, str, tuple[int, int]]]] = {}
        for ref in sources:
            for column in ref.table.columns:
                if not column.values or column.name.lower() in filtered:
                    continue
                for value in column.values:
                    if len(value) < 3 or value.lower() in FILLER:
                        continue  # "no", "all": too common to be read as a value
                    pattern = re.compile(rf"(?<![\w'\"]){re.escape(value)}(?![\w'\"])", re.IGNORECASE)
                    for match in self.req.finditer(pattern):
                        found.setdefault(match.group().lower(), []).append((column, value, match.span()))
        for word, places in found.items():
            if len({column.name for column, _, _ in places}) > 1:
                shown = ", ".join(f"{column.name} = {value!r}" for column, value, _ in places)
                raise PlanningError(f"{word!r} is a value of more than one column: {shown}; say which")
            column, value, _ = places[0]
            for _, _, span in places:
                self.req.claim(*span)
            filters.append(FilterPhrase(column.name, "=", value, True))
            self.note(f"value: {word!r} is a value of {column.name} (sampled from the catalog)")

    def _refuse_table_modifiers(self, mentions: list[tuple[int, str]]) -> None:
        """ "copy premium customers": a word left over right before a source table modifies it; a
        plan that ignored it would load other rows than asked for, so planning stops and asks."""
        for start, table in mentions:
            before = _MODIFIER.search(self.req.masked[:start])
            if before is None or before.group("word").lower() in FILLER:
                continue
            raise PlanningError(
                f"did not understand {before.group('word')!r} before {table!r}, which would change "
                "what is loaded; "
                "write it as a filter, e.g. \"where <column> = 'value'\", or leave it out"
            )

    def _refuse_critical_leftovers(self) -> None:
        for phrase in self.req.leftover_phrases():
            words = {w.lower() for w in re.findall(r"\w+", phrase)}
            if words & DESTRUCTIVE:
                raise PlanningError(
                    f"the offline planner does not plan destructive operations ({phrase!r}); "
                    "it plans copies, syncs, aggregations and checks"
                )
            if words & CHECKING:
                raise PlanningError(
                    f"did not understand {phrase!r}, which would change what is checked; write a rule as "
                    "'<column> must be unique', '<column> must not be null', 'at least N rows', 'fail if the "
                    "row count drops by more than N%' or 'the data must be no older than N hours'"
                )
            if words & RESTRICTING:
                raise PlanningError(
                    f"did not understand {phrase!r}, which would change what is loaded; write a filter as "
                    "\"where <column> = 'value'\" (or >, <, is not) with a column of the table"
                )

    # --- tables and connections -----------------------------------------------------------------

    def _sources(self, mentions: Mentions, target: TargetPhrase) -> list[TableRef]:
        if not mentions.sources:
            linked = self._linked_source(mentions, target)
            self.note(f"source table: {linked.label} (linked by meaning)")
            return [linked]
        sources: list[TableRef] = []
        for word, candidates in zip(mentions.source_words, mentions.sources, strict=True):
            chosen = self._choose(word, candidates, mentions, target)
            if chosen.label not in {s.label for s in sources}:
                sources.append(chosen)
        for ref in sources:
            self.note(f"source table: {ref.label}")
        return sources

    def _measured_source(self, sources: list[TableRef], phrase: AggregationPhrase) -> list[TableRef]:
        """ "distinct patients per doctor from appointments": the measure word names a table that
        the one other source references; it is that reference column, not a second source."""
        said = (phrase.measure or "").lower()
        if len(sources) < 2 or not said:
            return sources
        others = [s for s in sources if said not in name_forms(s.table.name)]
        if len(others) == 1 and len(others) < len(sources) and resolve_column(others[0].table, said):
            return others
        return sources

    def _linked_source(self, mentions: Mentions, target: TargetPhrase) -> TableRef:
        """The one table a leftover phrase means ("clients" -> customers), or a refusal listing candidates."""
        from airflow_ai_etl.memory.linking import (
            TABLE_MARGIN,
            TABLE_THRESHOLD,
            LinkError,
            choose,
            link_tables,
        )

        excluded = {target.conn_id, *mentions.other_conns} - {None}
        catalogs = [c for c in self.catalogs if c.conn_id not in excluded] or self.catalogs
        best: dict[str, Link] = {}
        for phrase in self.req.leftover_phrases():
            words = phrase.split()
            for candidate in dict.fromkeys([phrase, *words] if len(words) <= 4 else words):
                for link in link_tables(candidate, catalogs, limit=3):
                    if link.target not in best or link.score > best[link.target].score:
                        best[link.target] = link
        ranked = sorted(best.values(), key=lambda link: -link.score)
        try:
            link = choose(ranked, threshold=TABLE_THRESHOLD, what="source table", margin=TABLE_MARGIN)
        except LinkError as exc:
            raise PlanningError(
                "no source table: the request names none of the catalogs' tables "
                f"({self.reader.known_tables()}); the planner does not guess a table: {exc}"
            ) from None
        self.note(f"link: {link.describe()}")
        for match in self.req.claim_all(re.compile(rf"(?<!\w){re.escape(link.phrase)}(?!\w)", re.IGNORECASE)):
            self._linked.append((match.start(), match.group()))
        return next(
            TableRef(c, t)
            for c in catalogs
            for t in c.tables
            if c.conn_id == link.conn_id and t.qualified_name == link.table
        )

    def _choose(
        self, word: str, candidates: list[TableRef], mentions: Mentions, target: TargetPhrase
    ) -> TableRef:
        narrowed = candidates
        if mentions.from_conns:
            narrowed = [c for c in narrowed if c.conn_id in mentions.from_conns] or narrowed
        target_conn = target.conn_id or next(iter(mentions.other_conns), None)
        if len(narrowed) > 1 and target_conn:
            narrowed = [c for c in narrowed if c.conn_id != target_conn] or narrowed
        if len(narrowed) > 1:
            names = ", ".join(c.label for c in narrowed)
            raise PlanningError(
                f"{word!r} is ambiguous: it could be {names}; name it with its connection or schema "
                "(e.g. 'from <connection>' or '<schema>.<table>')"
            )
        return narrowed[0]

    def _target_catalog(
        self, sources: list[TableRef], mentions: Mentions, target: TargetPhrase
    ) -> SchemaCatalog:
        by_id = {c.conn_id: c for c in self.catalogs}
        source_conns = {s.conn_id for s in sources}
        if target.conn_id:
            self.note(f"target connection: {target.conn_id}")
            return by_id[target.conn_id]
        if target.existing:
            conns = sorted({r.conn_id for r in target.existing})
            if len(conns) > 1:
                raise PlanningError(
                    f"target table {target.table!r} is in several connections: {', '.join(conns)}"
                )
            self.note(f"target connection: {conns[0]} (it holds {target.table})")
            return by_id[conns[0]]
        named = [c for c in mentions.other_conns if c not in source_conns]
        if len(named) > 1:
            raise PlanningError(f"several target connections are named: {', '.join(named)}")
        if named:
            self.note(f"target connection: {named[0]}")
            return by_id[named[0]]
        others = [c for c in self.catalogs if c.conn_id not in source_conns]
        if len(others) == 1:
            self.note(f"target connection: {others[0].conn_id} (the only other connection given)")
            return others[0]
        if not others and len(source_conns) == 1:
            (only,) = source_conns
            self.note(f"target connection: {only} (the only connection given)")
            return by_id[only]
        candidates = others or self.catalogs
        raise PlanningError(
            "which connection is the target? name one of: " + ", ".join(c.conn_id for c in candidates)
        )

    def _target(
        self, target: TargetPhrase, catalog: SchemaCatalog, default: str, source: TableRef, several: bool
    ) -> ResolvedTarget:
        if target.table and several:
            raise PlanningError(f"one target table ({target.table}) is named for several source tables")
        return resolve_target(target.table, catalog, default, source)

    # --- columns, keys, mode --------------------------------------------------------------------

    def _key_words(self, table: Table) -> tuple[list[str], bool] | None:
        """`by <col>`, `on <col>`, `keyed by <col>`: the words, and whether "key" was said outright."""
        for match in list(self.req.finditer(KEY_PHRASE)):
            words = [w for w in re.split(r"\s*(?:,|\band\b)\s*", match.group("cols")) if w]
            explicit = bool(match.group("explicit") or match.group("as_key"))
            if explicit or all(resolve_column(table, w) for w in words):
                self.req.claim(*match.span())
                return words, explicit
        return None

    def _source_column(self, ref: TableRef, word: str, what: str) -> Column:
        """The column `word` names: of the source table by spelling, else of a table it references
        (joined along the keys), else of the source table by meaning."""
        if resolve_column(ref.table, word) is None:
            related = related_column(ref, word)
            if related is not None:
                return self._join(ref, related)
        return self._find_column(ref, word, what)

    def _join(self, ref: TableRef, related: RelatedColumn) -> Column:
        """Join the related column's path to the source (one path per table; a second is refused)."""
        joined = list(self._joins.get(ref.label, ()))
        for step in related.path:
            same = next((s for s in joined if s.table.label == step.table.label), None)
            if same is None:
                joined.append(step)
            elif same != step:
                raise PlanningError(
                    f"{step.table.label} would be joined to {ref.label} in two ways "
                    f"({same.pairs} and {step.pairs}); the offline planner joins a table once"
                )
        self._joins[ref.label] = tuple(joined)
        self._related[(ref.label, related.column.name.lower())] = related.column
        self.note(f"join: {related.describe(ref)}")
        return related.column

    def _find_column(
        self, ref: TableRef, word: str, what: str, accept: Callable[[Column], bool] | None = None
    ) -> Column:
        """The column `word` names: by spelling first, else by meaning (a link above the threshold)."""
        column = resolve_column(ref.table, word)
        if column is not None:
            return column  # named outright: a wrong type is the caller's clear error, not a reason to link
        from airflow_ai_etl.memory.linking import COLUMN_THRESHOLD, LinkError, choose, link_columns

        links = link_columns(word, ref.catalog, ref.table, accept=accept)
        try:
            link = choose(links, threshold=COLUMN_THRESHOLD, what=f"{what} of {ref.label}")
        except LinkError as exc:
            names = ", ".join(c.name for c in ref.table.columns)
            raise PlanningError(
                f"{what} {word!r} is not a column of {ref.label} (columns: {names}); {exc}"
            ) from None
        self.note(f"{what} linked by meaning: {link.describe()}")
        found = ref.table.column(link.column or "")
        assert found is not None  # links name columns of this table
        return found

    @staticmethod
    def _temporal(ref: TableRef) -> Callable[[Column], bool]:
        return lambda column: is_temporal(column, ref.catalog.dialect)

    @staticmethod
    def _measures(ref: TableRef) -> list[Column]:
        """The numeric columns of a table that are not keys or references: what can be added up."""
        keys = {k.lower() for k in ref.table.primary_key} | {
            c.lower() for fk in ref.table.foreign_keys for c in fk.columns
        }
        return [
            c
            for c in ref.table.columns
            if is_numeric(c, ref.catalog.dialect)
            and c.name.lower() not in keys
            and not c.name.lower().endswith("_id")
            and not identifier_words(c.name).endswith(" id")
        ]

    def _sole_measure(self, ref: TableRef) -> Column:
        """ "total payments": the one numeric column of payments that is not a key or a reference."""
        measures = self._measures(ref)
        if len(measures) != 1:
            shown = ", ".join(c.name for c in measures) or "none"
            raise PlanningError(
                f"which column of {ref.label} is to be added up? numeric columns: {shown}; "
                "name it, e.g. 'total <column> per <group>'"
            )
        self.note(f"measure: {measures[0].name} (the only numeric measure of {ref.label})")
        return measures[0]

    def _find_measure(self, ref: TableRef, word: str) -> Column:
        """The column a sum, average, minimum or maximum takes: named, linked by meaning among the
        measures, or, when the word links to nothing, the table's one measure by elimination,
        unless the word means some other column better (then that column's type is the answer)."""
        column = resolve_column(ref.table, word)
        if column is not None:
            return column
        measures = self._measures(ref)
        names = {c.name for c in measures}
        try:
            return self._find_column(ref, word, "measure", lambda c: c.name in names)
        except PlanningError:
            if len(measures) != 1:
                raise
        from airflow_ai_etl.memory.linking import COLUMN_THRESHOLD, link_columns

        (only,) = measures
        links = link_columns(word, ref.catalog, ref.table)
        best = links[0] if links else None
        if best is not None and best.column != only.name and best.score >= COLUMN_THRESHOLD:
            found = ref.table.column(best.column or "")
            assert found is not None  # links name columns of this table
            return found  # the caller refuses it by its type, naming it
        score = next((link.score for link in links if link.column == only.name), 0.0)
        self.note(
            f"measure {word!r} read as {only.name}, the only numeric measure of {ref.label} "
            f"(meaning score {score:.2f}, below {COLUMN_THRESHOLD:.2f}: by elimination)"
        )
        return only

    def _into_existing(
        self, aggregation: Aggregation, resolved: ResolvedTarget, catalog: SchemaCatalog
    ) -> Aggregation:
        """The aggregate's outputs renamed to the existing target's columns, by name or by type."""
        assert resolved.table is not None
        target = resolved.table
        outputs = [(c.name, "group column") for c in aggregation.groups]
        if aggregation.grain:
            outputs.append((aggregation.grain, "time bucket"))
        outputs.append((aggregation.alias, "measure"))
        dialect = catalog.dialect
        fits = {
            "group column": {c.name for c in target.columns},
            "time bucket": {c.name for c in target.columns if is_temporal(c, dialect)},
            "measure": {c.name for c in target.columns if is_numeric(c, dialect)},
        }
        renames = rename_outputs(outputs, target, f"{catalog.conn_id}:{resolved.name}", fits)
        for old, new in renames.items():
            if old != new:
                self.note(f"aggregate output {old} is written to {resolved.name}.{new}")
        return dataclasses.replace(aggregation, renames=renames)

    def _conditions(self, ref: TableRef, filters: list[FilterPhrase]) -> list[Condition]:
        """The filters on this table's columns (with several sources, each takes the ones it has)."""
        conditions = []
        for phrase in filters:
            column = resolve_column(ref.table, phrase.column) or self._related.get(
                (ref.label, phrase.column.lower())
            )
            if column is None:
                continue  # plan() has made sure that some source table has it
            conditions.append(Condition(column, phrase.op, self._value(ref, column, phrase)))
            self.note(f"filter on {ref.label}: {column.name} {phrase.words.split(' ', 1)[1]}")
        return conditions

    @staticmethod
    def _value(ref: TableRef, column: Column, phrase: FilterPhrase) -> Value | tuple[Value, ...] | None:
        def typed(value: str | int | float) -> Value:
            if phrase.quoted:
                return value
            if is_numeric(column, ref.catalog.dialect):
                if isinstance(value, str):
                    raise PlanningError(
                        f"filter {phrase.words!r}: {column.name} is numeric but {value!r} is not a number"
                    )
                return value
            if (
                isinstance(value, str)
                and value.lower() in ("true", "false")
                and "bool" in column.type.lower()
            ):
                return value.lower() == "true"
            return str(value)

        if phrase.value is None:
            return None
        if isinstance(phrase.value, tuple):
            return tuple(typed(v) for v in phrase.value)
        return typed(phrase.value)

    def _mode(self, words: ModeWords, has_key: bool) -> TransferMode:
        said = words.said
        if len(said) > 1 and set(said) != {"incremental", "upsert"}:
            raise PlanningError(f"the request asks for conflicting load modes: {' and '.join(said)}")
        if words.incremental:
            return TransferMode.INCREMENTAL
        if words.upsert or (has_key and not said):
            return TransferMode.UPSERT
        if words.append:
            return TransferMode.APPEND
        return TransferMode.REPLACE

    def _watermark(self, ref: TableRef, words: ModeWords, key_words: list[str]) -> Column:
        if words.watermark:
            return self._find_column(ref, words.watermark, "watermark", self._temporal(ref))
        candidates = [resolve_column(ref.table, w) for w in key_words]
        if len(candidates) == 1 and candidates[0] and is_temporal(candidates[0], ref.catalog.dialect):
            return candidates[0]
        column = pick_watermark(ref.table, ref.catalog.dialect)
        if column is None and len(ref.table.primary_key) == 1:
            pk = ref.table.column(ref.table.primary_key[0])
            if pk is not None and is_numeric(pk, ref.catalog.dialect):
                column = pk  # an integer surrogate key only grows: new rows are the higher ids
        if column is None:
            raise PlanningError(
                f"new rows of {ref.label} cannot be told apart: it has no timestamp column such as "
                "updated_at; name one with 'using <column> as watermark'"
            )
        return column

    def _copy_load(self, ref: TableRef, reading: _Reading, *, several: bool) -> _Load:
        table, words, key_phrase = ref.table, reading.mode, reading.key
        filters, target, target_catalog = reading.filters, reading.target, reading.target_catalog
        key_words = key_phrase[0] if key_phrase else []
        mode = self._mode(words, bool(key_phrase))
        key: list[str] = []
        watermark: str | None = None
        if mode is TransferMode.INCREMENTAL:
            watermark_column = self._watermark(ref, words, key_words)
            watermark = watermark_column.name
            if key_words and [w.lower() for w in key_words] != [watermark.lower()]:
                key = [self._find_column(ref, w, "key column").name for w in key_words]
            else:
                key = list(table.primary_key)
        elif mode is TransferMode.UPSERT:
            key = [self._find_column(ref, w, "key column").name for w in key_words] or list(table.primary_key)
            if not key:
                raise PlanningError(
                    f"an upsert needs a key and {ref.label} has no primary key; say 'by <column>'"
                )
        self._note_mode(mode, key, watermark, defaulted=not (key_phrase or words.said))

        conditions = self._conditions(ref, filters)
        resolved = self._target(target, target_catalog, table.name, ref, several)
        if target_catalog.conn_id == ref.conn_id and resolved.table == table:
            raise PlanningError(
                f"source and target are the same table ({ref.label}); name a target, "
                "e.g. 'into <new_table>' or 'to <connection>'"
            )
        loaded = list(table.columns)
        if resolved.table is not None:
            loaded, notes = mapped_columns(ref, resolved.table, f"{target_catalog.conn_id}:{resolved.name}")
            for line in notes:
                self.note(line)
        columns = []
        for column in loaded:
            kind, note = storage_type(column, ref.catalog.dialect)
            if note:
                self.note(note)
            columns.append(OutputColumn(column.name, kind, column.nullable))
        ddl_key = key or ([] if mode is TransferMode.APPEND else list(table.primary_key))
        narrowed = len(loaded) != len(table.columns)
        return _Load(
            source=ref,
            target_conn=target_catalog,
            target_table=resolved.name,
            existing_target=resolved.table,
            target_why=resolved.why,
            columns=columns,
            mode=mode,
            key=key,
            watermark=watermark,
            sql=(
                select_sql(ref, conditions, loaded, self._joins.get(ref.label, ()))
                if conditions or narrowed
                else None
            ),
            ddl_key=ddl_key,
            conditions=conditions,
        )

    def _note_mode(
        self, mode: TransferMode, key: list[str], watermark: str | None, *, defaulted: bool
    ) -> None:
        if mode is TransferMode.INCREMENTAL:
            by_key = f", upserting by {', '.join(key)}" if key else ", appending"
            self.note(f"load mode: incremental, new rows by {watermark}{by_key}")
        elif mode is TransferMode.UPSERT:
            self.note(f"load mode: upsert by {', '.join(key)}")
        elif mode is TransferMode.APPEND:
            self.note("load mode: append")
        elif defaulted:
            self.note("load mode: none named, so a full copy (replace) on every run")
        else:
            self.note("load mode: replace (full copy)")

    def _aggregate_load(self, sources: list[TableRef], phrase: AggregationPhrase, reading: _Reading) -> _Load:
        words, key_phrase, filters = reading.mode, reading.key, reading.filters
        target, target_catalog = reading.target, reading.target_catalog
        if len(sources) > 1:
            raise PlanningError(
                "an aggregation reads one table; the request names " + ", ".join(s.label for s in sources)
            )
        ref = sources[0]
        table, dialect = ref.table, ref.catalog.dialect
        measure: Column | None = None
        said = (phrase.measure or "").lower()
        names_table = not said or said in name_forms(table.name) or said in _ROWS_WORDS
        if phrase.function == "count" and names_table:
            alias = f"{singular(table.name.lower())}_count"
        else:
            if names_table:
                measure = self._sole_measure(ref)
            elif phrase.function in ("count", "count_distinct"):
                measure = self._find_column(ref, said, "measure")
            else:
                measure = self._find_measure(ref, said)
            if phrase.function in ("sum", "avg") and not is_numeric(measure, dialect):
                raise PlanningError(
                    f"cannot take the {phrase.function} of {measure.name}: "
                    f"its type {measure.type} is not numeric"
                )
            prefix = {"sum": "total", "avg": "avg", "min": "min", "max": "max", "count_distinct": "distinct"}
            alias = (
                f"{measure.name}_count"
                if phrase.function == "count"
                else f"{prefix[phrase.function]}_{measure.name}"
                + ("_count" if phrase.function == "count_distinct" else "")
            )
        groups = [self._source_column(ref, w, "group column") for w in phrase.groups]
        time_column = None
        if phrase.grain:
            time_column = pick_time_column(table, dialect, EVENT_TIME_NAMES)
            if time_column is None:
                raise PlanningError(f"{ref.label} has no date or timestamp column to group by {phrase.grain}")
        aggregation = Aggregation(phrase.function, measure, alias, groups, phrase.grain, time_column)
        conditions = self._conditions(ref, filters)
        key = [c.name for c in groups] + ([phrase.grain] if phrase.grain else [])

        per = "".join(f" per {c.name}" for c in groups) + (
            f" per {phrase.grain} of {time_column.name}" if phrase.grain and time_column else ""
        )
        measured = (
            f"COUNT(DISTINCT {measure.name})"
            if phrase.function == "count_distinct" and measure
            else f"{phrase.function.upper()}({measure.name if measure else '*'})"
        )
        self.note(f"aggregation: {measured} as {alias}{per}")
        if key_phrase is not None:
            raise PlanningError(
                f"an aggregation's key is its groups ({', '.join(key)}); 'by {key_phrase[0][0]}' is not one"
            )
        upsert = (words.upsert or words.incremental) and bool(key)
        mode = TransferMode.UPSERT if upsert else TransferMode.REPLACE
        if upsert:
            self._note_mode(mode, key, None, defaulted=False)
        else:
            default = "" if words.replace else "none named, so "
            self.note(f"load mode: {default}the aggregate is recomputed in full (replace) on every run")

        grain_word = _GRAIN_ADJECTIVES[phrase.grain] + "_" if phrase.grain else ""
        group_words = "_and_".join(w.lower() for w in phrase.groups)
        default = f"{grain_word}{alias}" + (f"_per_{group_words}" if group_words else "")
        resolved = self._target(target, target_catalog, default, ref, several=False)
        if resolved.table is not None:
            aggregation = self._into_existing(aggregation, resolved, target_catalog)
            key = [aggregation.output_name(k) for k in key]
        return _Load(
            source=ref,
            target_conn=target_catalog,
            target_table=resolved.name,
            existing_target=resolved.table,
            target_why=resolved.why,
            columns=aggregate_columns(aggregation, dialect),
            mode=mode,
            key=key if upsert else [],
            watermark=None,
            sql=aggregate_sql(ref, aggregation, conditions, self._joins.get(ref.label, ())),
            ddl_key=key,
            aggregated=True,
            conditions=conditions,
            aggregation=aggregation,
        )

    # --- steps ----------------------------------------------------------------------------------

    def _steps(self, load: _Load, checks: list[CheckPhrase], placed: set[int]) -> list[dict[str, Any]]:
        short = _identifier(load.target_table.split(".")[-1], 80)
        target = load.target_conn
        steps: list[dict[str, Any]] = []
        depends: list[str] = []
        if load.existing_target is None:
            ddl = create_table_sql(load.target_table, load.columns, load.ddl_key, target.dialect)
            steps.append(
                {
                    "id": f"create_{short}",
                    "kind": "sql",
                    "conn_id": target.conn_id,
                    "sql": ddl,
                    "description": f"Create {load.target_table} on {target.conn_id} if it does not exist.",
                }
            )
            depends = [f"create_{short}"]
            self.note(
                f"target table: {target.conn_id}:{load.target_table} "
                f"({load.target_why}: no such table exists yet)"
            )
        else:
            self.note(f"target table: {target.conn_id}:{load.target_table} (exists: loaded by column name)")

        source: dict[str, Any] = {"conn_id": load.source.conn_id}
        if load.sql is None:
            source["table"] = load.source.name
        else:
            source["sql"] = load.sql
        transfer: dict[str, Any] = {
            "id": f"load_{short}",
            "kind": "transfer",
            "description": _load_words(load) + ".",
            "depends_on": depends,
            "source": source,
            "target": {"conn_id": target.conn_id, "table": load.target_table},
            "mode": load.mode.value,
            "key": load.key,
        }
        if load.watermark:
            transfer["watermark"] = load.watermark
        steps.append(transfer)

        quality = self._checks(load, checks, placed)
        if quality:
            steps.append(
                {
                    "id": f"check_{short}",
                    "kind": "quality_check",
                    "description": f"Quality checks on {target.conn_id}:{load.target_table} after the load.",
                    "depends_on": [f"load_{short}"],
                    "conn_id": target.conn_id,
                    "table": load.target_table,
                    "checks": quality,
                }
            )
        return steps

    def _checks(self, load: _Load, phrases: list[CheckPhrase], placed: set[int]) -> list[dict[str, Any]]:
        """The checks that apply to this load's target; adds the indexes of the phrases it placed."""
        columns = (
            load.existing_target.columns
            if load.existing_target
            else [Column(name=c.name, type=c.type.sql()) for c in load.columns]
        )
        table = Table(name=load.target_table.split(".")[-1], columns=columns)
        label = f"{load.target_conn.conn_id}:{load.target_table}"
        table_words = _TABLE_WORDS | name_forms(load.source.table.name) | name_forms(table.name)
        checks: list[dict[str, Any]] = []
        row_count: dict[str, Any] = {}
        change: dict[str, Any] = {}
        for index, phrase in enumerate(phrases):
            if phrase.kind in ("row_count", "row_count_change") or (
                phrase.kind == "not_null" and phrase.column in table_words
            ):
                placed.add(index)
            if phrase.kind == "row_count" or (phrase.kind == "not_null" and phrase.column in table_words):
                row_count.setdefault("check", "row_count")
                row_count["min"] = phrase.minimum if phrase.minimum is not None else row_count.get("min", 1)
                if phrase.maximum is not None:
                    row_count["max"] = phrase.maximum
            elif phrase.kind == "freshness":
                assert phrase.max_age_minutes is not None  # freshness phrases always carry their age
                column = _freshness_column(table, load.target_conn.dialect)
                if column is None:
                    continue  # left unplaced: plan() refuses, naming the rule
                placed.add(index)
                checks.append(
                    {"check": "freshness", "column": column.name, "max_age_minutes": phrase.max_age_minutes}
                )
                self.note(f"check on {label}: {column.name} at most {phrase.max_age_minutes} minutes old")
            elif phrase.kind == "row_count_change":
                change.setdefault("check", "row_count_change")
                if phrase.max_drop_pct is not None:
                    change["max_drop_pct"] = phrase.max_drop_pct
                if phrase.max_growth_pct is not None:
                    change["max_growth_pct"] = phrase.max_growth_pct
            else:
                assert phrase.column is not None  # column checks always carry their word
                column = resolve_column(table, phrase.column)
                if column is None:
                    continue
                placed.add(index)
                check: dict[str, Any] = {"column": column.name, "check": phrase.kind}
                if phrase.kind == "min" and phrase.bound:
                    check["bounds"] = {phrase.bound[0]: phrase.bound[1]}
                checks.append(check)
                self.note(f"check on {label}: {column.name} {_check_words(check)}")
        if row_count:
            row_count.setdefault("min", 1)
            checks.append(row_count)
            bounds = f"at least {row_count['min']}" + (
                f", at most {row_count['max']}" if "max" in row_count else ""
            )
            self.note(f"check on {label}: row count {bounds}")
        if change:
            checks.append(change)
            parts = [
                f"{k.removeprefix('max_').removesuffix('_pct')} at most {v}%"
                for k, v in change.items()
                if k != "check"
            ]
            self.note(f"check on {label}: row count change ({', '.join(parts)})")
        return checks

    # --- shape --------------------------------------------------------------------------------

    def _signature(self, loads: list[_Load], steps: list[dict[str, Any]], data: dict[str, Any]) -> None:
        """The plan's shape and slots (see OfflinePlan): what pipeline memory compares two plans by."""
        shape, slots = self.shape, self.slots

        def slot(role: str, kind: Literal["table", "column", "value"], value: Any) -> None:
            slots.append(PlanSlot(role=role, kind=kind, value=value))

        for number, load in enumerate(loads):
            at = f"load {number}"
            shape.append(
                f"{at}: {load.mode.value} from {load.source.conn_id} into {load.target_conn.conn_id}, "
                f"key of {len(load.key)}, watermark {load.watermark is not None}"
            )
            slot(f"{at} source", "table", load.source.label)
            slot(f"{at} target", "table", f"{load.target_conn.conn_id}:{load.target_table}")
            for index, name in enumerate(load.key):
                slot(f"{at} key {index}", "column", name)
            if load.watermark:
                slot(f"{at} watermark", "column", load.watermark)
            for index, join in enumerate(self._joins.get(load.source.label, ())):
                shape.append(f"{at} join {index}: on {len(join.pairs)} column(s)")
                slot(f"{at} join {index}", "table", join.table.label)
                for pair, (left, right) in enumerate(join.pairs):
                    slot(f"{at} join {index} pair {pair} left", "column", left)
                    slot(f"{at} join {index} pair {pair} right", "column", right)
            for index, condition in enumerate(load.conditions):
                value = condition.value
                values = value if isinstance(value, tuple) else (value,)
                kinds = ",".join(type(v).__name__ for v in values)
                shape.append(f"{at} filter {index}: {condition.op} ({kinds})")
                slot(f"{at} filter {index} column", "column", condition.column.name)
                for position, item in enumerate(values):
                    slot(f"{at} filter {index} value {position}", "value", item)
            aggregation = load.aggregation
            if aggregation is not None:
                measured = "a column" if aggregation.measure else "rows"
                shape.append(
                    f"{at} aggregate: {aggregation.function} of {measured}"
                    f" per {len(aggregation.groups)} group(s), grain {aggregation.grain}"
                )
                if aggregation.measure is not None:
                    slot(f"{at} measure", "column", aggregation.measure.name)
                slot(f"{at} measure output", "column", aggregation.output_name(aggregation.alias))
                for index, group in enumerate(aggregation.groups):
                    slot(f"{at} group {index}", "column", group.name)
                    slot(f"{at} group {index} output", "column", aggregation.output_name(group.name))
                if aggregation.time_column is not None:
                    slot(f"{at} time column", "column", aggregation.time_column.name)
        checked = [step for step in steps if step["kind"] == "quality_check"]
        for number, step in enumerate(checked):
            for index, check in enumerate(step["checks"]):
                at = f"checks {number} check {index}"
                shape.append(
                    f"check {check['check']}: " + ", ".join(sorted(k for k in check if k != "check"))
                )
                for name, value in sorted(check.items()):
                    if name == "column":
                        slot(f"{at} column", "column", value)
                    elif name == "bounds":
                        for bound, limit in sorted(value.items()):
                            slot(f"{at} {bound}", "value", limit)
                    elif name != "check":
                        slot(f"{at} {name}", "value", value)
        shape.append(f"schedule {data['schedule'] is not None}, notify {'on_failure' in data}")

    # --- naming ---------------------------------------------------------------------------------

    def _dag_id(self, loads: list[_Load], aggregated: bool) -> str:
        first = loads[0]
        if aggregated:
            return _identifier(first.target_table.split(".")[-1], 200)
        sources = "_".join(load.source.table.name for load in loads)
        if first.target_conn.conn_id != first.source.conn_id:
            return _identifier(f"{sources}_to_{first.target_conn.conn_id}", 200)
        return _identifier(f"{sources}_to_{first.target_table.split('.')[-1]}", 200)

    @staticmethod
    def _description(loads: list[_Load], schedule: str | None) -> str:
        parts = [_load_words(load) for load in loads]
        when = schedule or "when triggered"
        return f"{'; '.join(parts)}; runs {when}. Planned offline (no model)."[:2000]


def _freshness_column(table: Table, dialect: str) -> Column | None:
    """The change (else the only) column of a real date/time type: the check compares it with now(),
    which ISO text (SQLite) cannot be relied on for."""
    times = [c for c in table.columns if is_temporal(c, dialect)]
    column = next((c for name in WATERMARK_NAMES for c in times if c.name.lower() == name), None)
    return column or (times[0] if len(times) == 1 else None)


def _load_words(load: _Load) -> str:
    """`Incremental load (new rows by updated_at) of shop:public.orders into warehouse:public.orders`."""
    how = {
        TransferMode.INCREMENTAL: f"Incremental load (new rows by {load.watermark}) of",
        TransferMode.UPSERT: f"Upsert by {', '.join(load.key)} of",
        TransferMode.APPEND: "Append of",
        TransferMode.REPLACE: "Full copy of",
    }[load.mode]
    if load.aggregated:
        how = (
            "Aggregate, recomputed in full, of"
            if load.mode is TransferMode.REPLACE
            else f"Aggregate ({how.lower()})"
        )
    return f"{how} {load.source.label} into {load.target_conn.conn_id}:{load.target_table}"


def _check_words(check: dict[str, Any]) -> str:
    if check["check"] == "min":
        ((bound, value),) = check["bounds"].items()
        return f"minimum {'>' if bound == 'greater_than' else '>='} {value:g}"
    return {"unique": "unique", "not_null": "not null"}[check["check"]]


def _identifier(text: str, length: int) -> str:
    """A name fit for a dag_id or step id: lower-case letters, digits, underscores, a letter first."""
    cleaned = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not cleaned or not cleaned[0].isalpha():
        cleaned = f"t_{cleaned}"
    return cleaned[:length].rstrip("_")
