"""Adapting an approved pipeline to a new request of the same shape (pipeline memory, offline).

An approved pipeline is one a person reviewed and deployed; when a new request asks for the same
kind of pipeline over other tables or values, its spec is a better start than a fresh plan. The
offline planner reads both requests over today's catalogs. Their plans have the same *shape* when
they agree on everything but the slots (connections, load modes, filter operators, aggregate
functions, check kinds, ...; see `OfflinePlan.shape`); the pairs of slots (old table -> new table,
old column -> new column, old value -> new value), all resolved in the catalogs by the planner,
are the substitution.

The adapted spec is the new plan with the approved spec's own choices carried over through the
substitution: its transfer queries (rewritten as sqlglot trees: tables, columns and literals),
its extra SQL steps, and its DAG settings (owner, retries, concurrency). What the request decides
is always the new plan's: targets, load modes, keys and watermarks, checks, schedule, notification,
step ids and the CREATE TABLE statements. Access is never carried over: `allow_destructive` grants
and GRANT/REVOKE statements are dropped.

Names are re-linked, never guessed: a table of the approved spec must be one of the substitution's;
a column it does not name keeps its name only where the new tables have a column of that name; a
query that lists every column of its table lists every column of the new one (or the plan's own
list). Anything that cannot be filled makes the candidate unusable, and the caller plans as usual:
other connections, a table whose structure changed since approval (or was never recorded), a table
or column with no counterpart, a filter value the new request does not give, a step kind other
than transfer, SQL or quality check, or a result that does not parse.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from airflow_ai_etl.agents.offline.planner import OfflinePlan, PlanSlot, plan_offline
from airflow_ai_etl.agents.offline.sqlgen import _needs_quotes
from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.memory.fingerprints import changed_tables
from airflow_ai_etl.memory.pipelines import spec_connections
from airflow_ai_etl.spec.io import SpecError, parse_spec
from airflow_ai_etl.spec.models import PipelineSpec

if TYPE_CHECKING:
    from airflow_ai_etl.memory.pipelines import ApprovedPipeline

log = logging.getLogger(__name__)

#: DAG settings a person may have tuned on the approved pipeline; none of them is in a request.
_DAG_SETTINGS = ("catchup", "owner", "retries", "retry_delay_minutes", "max_active_runs")
#: Transfer settings carried over (tuning, not what is loaded or where).
_TRANSFER_SETTINGS = ("batch_size",)
#: Slots of the values that decide which rows are loaded (they live in predicates).
_FILTERING = re.compile(r"\bfilter\b")
#: Where those values sit in a query: a literal elsewhere (`ROUND(x, 2)`) is structure, not a slot.
_PREDICATES = (exp.Where, exp.Having, exp.Join, exp.Qualify)
#: Slots whose new value must show in the adapted spec's queries and tables (the request's clauses).
_SHOWN_ROLES = re.compile(r"\b(?:source|target|join|filter|measure|group|time column)\b")


class NotAdaptable(Exception):
    """Why an approved pipeline cannot be adapted to the request (the caller plans as usual)."""


@dataclass(frozen=True)
class Adaptation:
    spec: PipelineSpec
    pipeline: ApprovedPipeline

    @property
    def note(self) -> str:
        p = self.pipeline
        return (
            f"adapted from approved pipeline {p.dag_id} "
            f"(deployment {p.deployment_id}, approved by {p.approver})"
        )


def adapt_nearest(
    plan: OfflinePlan,
    candidates: Iterable[ApprovedPipeline],
    catalogs: Sequence[SchemaCatalog],
    *,
    today: dt.date,
) -> Adaptation | None:
    """The first candidate (nearest first) that adapts to `plan`, else None."""
    if not plan.ok or plan.spec is None:
        return None
    for approved in candidates:
        try:
            return Adaptation(adapt(plan, approved, catalogs, today=today), approved)
        except NotAdaptable as why:
            log.debug("approved pipeline %s is not adapted: %s", approved.dag_id, why)
        except Exception:  # a stored spec of an older shape, say: the plain plan stands
            log.warning("approved pipeline %s could not be adapted", approved.dag_id, exc_info=True)
    return None


def adapt(
    plan: OfflinePlan, approved: ApprovedPipeline, catalogs: Sequence[SchemaCatalog], *, today: dt.date
) -> PipelineSpec:
    """`plan` (the new request's offline plan) with `approved`'s choices carried over, or NotAdaptable."""
    assert plan.spec is not None
    new_data = plan.spec.model_dump(mode="json")
    if set(approved.conn_ids) != set(spec_connections(new_data)):
        raise NotAdaptable(f"it runs over {', '.join(approved.conn_ids)}, not the request's connections")
    if not approved.catalog_fingerprints:
        raise NotAdaptable("its draft recorded no table fingerprints")
    changed = changed_tables(approved.catalog_fingerprints, catalogs)
    if changed:
        raise NotAdaptable(f"tables changed since it was approved: {', '.join(changed)}")
    old = plan_offline(approved.request, catalogs, dag_id=approved.dag_id, today=today)
    if not old.ok:
        raise NotAdaptable(f"its request no longer plans: {old.reason}")
    if old.shape != plan.shape or [(s.role, s.kind) for s in old.slots] != [
        (s.role, s.kind) for s in plan.slots
    ]:
        raise NotAdaptable("the requests differ in shape")
    recorded = {label.lower() for label in approved.catalog_fingerprints}
    read = [s for s in old.slots if s.kind == "table" and re.search(r"\b(?:source|join)\b", s.role)]
    unrecorded = [str(s.value) for s in read if str(s.value).lower() not in recorded]
    if unrecorded:
        raise NotAdaptable(f"no fingerprint recorded for {', '.join(unrecorded)}")
    substitution = Substitution.between(old.slots, plan.slots)
    data = _Assembly(substitution, {c.conn_id: c for c in catalogs}).build(approved.spec, new_data)
    try:
        spec = parse_spec(data, source=f"adapted from {approved.dag_id}")
    except SpecError as exc:
        raise NotAdaptable(f"the adapted spec is not valid: {exc}") from None
    _check_values(spec, old.slots, plan.slots, catalogs)
    return spec


# --- the substitution -------------------------------------------------------------------------------

ValueKey = tuple[str, Any]


def _value_key(value: Any) -> ValueKey | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", float(value))
    return ("text", str(value))


def _literal_key(node: exp.Expr) -> ValueKey | None:
    if isinstance(node, exp.Boolean):
        return ("bool", bool(node.this))
    if isinstance(node, exp.Literal):
        if node.is_string:
            return ("text", node.this)
        try:
            return ("number", float(node.this))
        except ValueError:
            return None
    return None


def _predicate_literals(tree: exp.Expr) -> list[exp.Expr]:
    """The literals of a statement's WHERE, HAVING, JOIN and QUALIFY clauses."""
    return [
        node
        for node in tree.find_all(exp.Literal, exp.Boolean)
        if node.find_ancestor(*_PREDICATES) is not None
    ]


def _literal(value: Any) -> exp.Expr:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


@dataclass
class Substitution:
    """Old name or value -> new one, each pair from the same slot of two plans of one shape."""

    tables: dict[str, str] = field(default_factory=dict)  # `conn:schema.table` (lower) -> `conn:name`
    columns: dict[str, str] = field(default_factory=dict)  # lower -> as the new catalog spells it
    values: dict[ValueKey, Any] = field(default_factory=dict)

    @classmethod
    def between(cls, old: Sequence[PlanSlot], new: Sequence[PlanSlot]) -> Substitution:
        made = cls()
        for before, after in zip(old, new, strict=True):
            if before.kind == "table":
                old_conn, new_conn = str(before.value).partition(":")[0], str(after.value).partition(":")[0]
                if old_conn != new_conn:
                    raise NotAdaptable(f"{before.role} is on {old_conn}, the request's on {new_conn}")
                made._put(made.tables, str(before.value).lower(), str(after.value), before.role)
            elif before.kind == "column":
                made._put(made.columns, str(before.value).lower(), str(after.value), before.role)
            elif _FILTERING.search(before.role):  # thresholds of checks are the new plan's, not SQL
                key = _value_key(before.value)
                if key is not None:
                    made._put(made.values, key, after.value, before.role)
        return made

    @staticmethod
    def _put(mapping: dict[Any, Any], old: Any, new: Any, role: str) -> None:
        if mapping.setdefault(old, new) != new:
            raise NotAdaptable(f"{old!r} would become both {mapping[old]!r} and {new!r} ({role})")

    def table(self, catalog: SchemaCatalog, written: str) -> str | None:
        """The new table's name (as the new plan writes it) for a table the approved spec names."""
        found = catalog.find_table(written)
        label = f"{catalog.conn_id}:{found.qualified_name if found else written}".lower()
        new = self.tables.get(label)
        if new is None:  # a table to be created, written with or without its schema
            tail = written.rsplit(".", maxsplit=1)[-1].lower()
            prefix = f"{catalog.conn_id.lower()}:"
            hits = {v for k, v in self.tables.items() if k.startswith(prefix) and k.split(".")[-1] == tail}
            hits |= {v for k, v in self.tables.items() if k == prefix + tail}
            new = hits.pop() if len(hits) == 1 else None
        return new.partition(":")[2] if new else None

    def short_names(self) -> list[tuple[str, str]]:
        """Old -> new unqualified table names, longest first (for regenerating step ids)."""
        pairs = {
            (old.partition(":")[2].split(".")[-1], new.partition(":")[2].split(".")[-1].lower())
            for old, new in self.tables.items()
        }
        return sorted(pairs, key=lambda pair: -len(pair[0]))


# --- rewriting the approved spec -------------------------------------------------------------------


def _identifier(name: str, dialect: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=_needs_quotes(name, dialect))


def _grants_access(statement: exp.Expr) -> bool:
    if isinstance(statement, exp.Command):
        return str(statement.this).upper() in ("GRANT", "REVOKE")
    return type(statement).__name__ in ("Grant", "Revoke")


def _creates_table(statement: exp.Expr) -> bool:
    return isinstance(statement, exp.Create) and str(statement.args.get("kind", "")).upper() == "TABLE"


@dataclass
class _Assembly:
    substitution: Substitution
    catalogs: Mapping[str, SchemaCatalog]

    def build(self, approved: Mapping[str, Any], new: dict[str, Any]) -> dict[str, Any]:
        data = copy.deepcopy(new)
        for name in _DAG_SETTINGS:
            if name in approved:
                data[name] = approved[name]
        old_steps: list[dict[str, Any]] = list(approved.get("steps", []))
        old_transfers = [s for s in old_steps if s.get("kind") == "transfer"]
        new_transfers = [s for s in data["steps"] if s["kind"] == "transfer"]
        if len(old_transfers) != len(new_transfers):
            raise NotAdaptable(f"it has {len(old_transfers)} transfer(s), the plan {len(new_transfers)}")
        ids: dict[str, str | None] = {}
        for old, new_step in zip(old_transfers, new_transfers, strict=True):
            self._transfer(old, new_step)
            ids[old["id"]] = new_step["id"]
        taken = {s["id"] for s in data["steps"]}
        extras: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for step in old_steps:
            kind = step.get("kind")
            if kind == "transfer":
                continue
            if kind == "quality_check":
                ids[step["id"]] = None  # the request's checks stand, not the approved ones
                continue
            if kind != "sql":
                raise NotAdaptable(f"its {kind} step {step.get('id')} is not adapted offline")
            sql = self._rewrite(step["conn_id"], step["sql"], keep=lambda s: not _creates_table(s))
            if sql is None:  # only CREATE TABLE (the plan makes its own) and grants
                ids[step["id"]] = None
                continue
            extra = {k: v for k, v in step.items() if k not in ("allow_destructive", "depends_on")}
            extra["sql"] = sql
            extra["id"] = self._new_id(step["id"], taken)
            extra["description"] = self._renamed(str(step.get("description", "")))
            ids[step["id"]] = extra["id"]
            extras.append((step, extra))
        loads = [s["id"] for s in new_transfers]
        for old, extra in extras:
            depends: list[str] = []
            for dep in old.get("depends_on", []):
                mapped = ids.get(dep)
                depends += [mapped] if mapped else loads  # after what a dropped step prepared
            extra["depends_on"] = list(dict.fromkeys(depends))
        for old, new_step in zip(old_transfers, new_transfers, strict=True):
            before = [ids[d] for d in old.get("depends_on", []) if ids.get(d) and ids[d] not in loads]
            new_step["depends_on"] = list(dict.fromkeys([*new_step.get("depends_on", []), *before]))
        data["steps"] = data["steps"] + [extra for _, extra in extras]
        return data

    def _transfer(self, old: Mapping[str, Any], new: dict[str, Any]) -> None:
        for side in ("source", "target"):
            if old[side]["conn_id"] != new[side]["conn_id"]:
                raise NotAdaptable(
                    f"its {side} is on {old[side]['conn_id']}, the plan's on {new[side]['conn_id']}"
                )
        catalog = self.catalogs[new["target"]["conn_id"]]
        target = self.substitution.table(catalog, old["target"]["table"])
        if target is None or target.lower() != new["target"]["table"].lower():
            raise NotAdaptable(f"its target {old['target']['table']} is not the one its request names")
        source = old["source"]
        catalog = self.catalogs[source["conn_id"]]
        if source.get("table") is not None:  # nothing of its own: the plan's source stands
            mapped = self.substitution.table(catalog, source["table"])
            planned = new["source"].get("table")
            if mapped is None or (planned and catalog.find_table(mapped) != catalog.find_table(planned)):
                raise NotAdaptable(f"its source {source['table']} is not the one its request names")
        else:
            projection = self._projection(catalog, new["source"])
            sql = self._rewrite(source["conn_id"], source["sql"], projection=projection)
            if sql is None:
                raise NotAdaptable("its source query grants access and reads nothing")
            new["source"] = {"conn_id": source["conn_id"], "sql": sql}
        for name in _TRANSFER_SETTINGS:
            if name in old:
                new[name] = old[name]

    def _projection(self, catalog: SchemaCatalog, source: Mapping[str, Any]) -> list[str] | None:
        """The plan's own column list for its source (None: every column of the table)."""
        if source.get("sql") is None:
            return None
        tree = sqlglot.parse_one(source["sql"], read=catalog.dialect or None)
        if not isinstance(tree, exp.Select) or not all(isinstance(e, exp.Column) for e in tree.expressions):
            return None
        return [e.name for e in tree.expressions]

    def _rewrite(
        self,
        conn_id: str,
        sql: str,
        *,
        projection: list[str] | None = None,
        keep: Callable[[exp.Expr], bool] | None = None,
    ) -> str | None:
        """The statements of `sql` with the substitution applied; grants (and what `keep` refuses)
        left out; None when nothing is left."""
        catalog = self.catalogs.get(conn_id)
        if catalog is None:
            raise NotAdaptable(f"no catalog of {conn_id}")
        dialect = catalog.dialect
        try:
            trees = [t for t in sqlglot.parse(sql, read=dialect or None) if t is not None]
        except SqlglotError as exc:
            raise NotAdaptable(f"its SQL does not parse: {exc}") from None
        kept = [t for t in trees if not _grants_access(t) and (keep is None or keep(t))]
        if not kept:
            return None
        return ";\n".join(
            self._statement(t.copy(), catalog, projection).sql(dialect=dialect or None, pretty=True)
            for t in kept
        )

    def _statement(self, tree: exp.Expr, catalog: SchemaCatalog, projection: list[str] | None) -> exp.Expr:
        sub, dialect = self.substitution, catalog.dialect
        ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        # A query listing every column of the table it reads lists every column of the new one.
        whole: list[tuple[exp.Select, str]] = []
        for select in tree.find_all(exp.Select):
            source = select.args.get("from_") or select.args.get("from")
            read = source.this if source is not None else None
            if not isinstance(read, exp.Table) or select.args.get("joins"):
                continue
            table = catalog.find_table(".".join(p for p in (read.db, read.name) if p))
            names = [e.name.lower() for e in select.expressions if isinstance(e, exp.Column)]
            if (
                table is not None
                and len(names) == len(select.expressions)
                and set(names) == {c.name.lower() for c in table.columns}
            ):
                whole.append((select, ".".join(p for p in (read.db, read.name) if p)))
        new_tables = []
        for node in list(tree.find_all(exp.Table)):
            written = ".".join(p for p in (node.db, node.name) if p)
            if not node.db and node.name.lower() in ctes:
                continue
            mapped = sub.table(catalog, written)
            if mapped is None:
                raise NotAdaptable(f"{catalog.conn_id}:{written} is not a table its request names")
            schema, _, name = mapped.rpartition(".")
            node.set("this", _identifier(name, dialect))
            node.set("db", _identifier(schema, dialect) if schema else None)
            found = catalog.find_table(mapped)
            if found is not None:
                new_tables.append(found)
        outputs = {a.alias.lower() for a in tree.find_all(exp.Alias)}
        known = {c.name.lower() for t in new_tables for c in t.columns}
        replaced = {id(e) for select, _ in whole for e in select.expressions}  # replaced below
        for column in list(tree.find_all(exp.Column)):
            if id(column) in replaced:
                continue
            lowered = column.name.lower()
            if lowered in sub.columns:
                column.set("this", _identifier(sub.columns[lowered], dialect))
            elif lowered not in known and lowered not in outputs and not isinstance(column.this, exp.Star):
                raise NotAdaptable(f"column {column.name} has no counterpart in the request's tables")
        for alias in tree.find_all(exp.Alias):
            if alias.alias.lower() in sub.columns:
                alias.set("alias", _identifier(sub.columns[alias.alias.lower()], dialect))
        for literal in _predicate_literals(tree):
            key = _literal_key(literal)
            if key is None or key not in sub.values:
                raise NotAdaptable(f"it filters on {literal.sql()}, a value the request does not give")
            literal.replace(_literal(sub.values[key]))
        for select, written in whole:
            mapped = sub.table(catalog, written)
            table = catalog.find_table(mapped or "")
            names = projection or ([c.name for c in table.columns] if table else [])
            select.set("expressions", [exp.Column(this=_identifier(n, dialect)) for n in names])
        return tree

    def _renamed(self, text: str) -> str:
        """`text` with the approved tables' names replaced by the new ones (whole words only)."""
        for before, after in self.substitution.short_names():
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(before)}(?![A-Za-z0-9])", after, text, flags=re.I)
        return text

    def _new_id(self, old_id: str, taken: set[str]) -> str:
        """The approved step's id with its tables' names replaced by the new ones, unique in the spec."""
        new_id = re.sub(r"[^a-z0-9_]+", "_", self._renamed(old_id).lower()).strip("_") or "step"
        candidate, number = new_id, 2
        while candidate in taken:
            candidate, number = f"{new_id}_{number}", number + 1
        taken.add(candidate)
        return candidate


# --- the last word: the request's values are all there, the old ones gone ---------------------------


def _spec_words(spec: PipelineSpec, dialects: Mapping[str, str]) -> tuple[set[str], set[ValueKey]]:
    """Every table and column name (lower, unqualified) and predicate literal in the spec's steps."""
    names: set[str] = set()
    literals: set[ValueKey] = set()
    for step in spec.model_dump(mode="json")["steps"]:
        for part in (step, step.get("source") or {}, step.get("target") or {}):
            if isinstance(part.get("table"), str):
                names.add(part["table"].rsplit(".", maxsplit=1)[-1].lower())
            if not isinstance(part.get("sql"), str):
                continue
            for tree in sqlglot.parse(part["sql"], read=dialects.get(part.get("conn_id", "")) or None):
                if tree is not None:
                    names |= {n.name.lower() for n in tree.find_all(exp.Table, exp.Column)}
                    names |= {a.alias.lower() for a in tree.find_all(exp.Alias)}
                    literals |= {k for n in _predicate_literals(tree) if (k := _literal_key(n))}
    return names, literals


def _check_values(
    spec: PipelineSpec, old: Sequence[PlanSlot], new: Sequence[PlanSlot], catalogs: Sequence[SchemaCatalog]
) -> None:
    """Every name and value of the request's clauses is in the adapted spec, and no approved value
    it replaced is left (a query the substitution did not reach would keep it)."""
    names, literals = _spec_words(spec, {c.conn_id: c.dialect for c in catalogs})
    wanted = {_value_key(s.value) for s in new if s.kind == "value"}
    for before, after in zip(old, new, strict=True):
        if not _SHOWN_ROLES.search(after.role):
            continue
        if after.kind == "value":
            key, old_key = _value_key(after.value), _value_key(before.value)
            if key is not None and key not in literals:
                raise NotAdaptable(f"the request's {after.role} {after.value!r} is not in the adapted spec")
            if old_key is not None and old_key in literals and old_key not in wanted:
                raise NotAdaptable(
                    f"the approved {before.role} {before.value!r} is still in the adapted spec"
                )
            continue
        name = str(after.value)
        if after.kind == "table":
            name = name.partition(":")[2].rsplit(".", maxsplit=1)[-1]
        if name.lower() not in names:
            raise NotAdaptable(f"the request's {after.role} {after.value} is not in the adapted spec")
