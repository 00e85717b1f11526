"""Schema analyst: the tables (and their columns) a request needs, chosen from catalogs of any size.

A catalog with a thousand tables does not fit a prompt, and most of it is noise to the planner.
The analyst ranks tables by how well their names, columns, comments and schemas match the words of
the request, then walks foreign keys: the tables that join two chosen tables come along, and the
neighbours of the best matches get a share of their score. Only the chosen part is handed on.

Matching forgives case, snake_case/camelCase, singular/plural and a few synonyms (client is
customer, purchase is order). Words are weighted by rarity (IDF): "order" in a shop catalog where
forty tables mention orders counts for less than "invoice" in the one table that does.

Everything read from the catalog (names, comments) is only ever compared, never followed: a
comment that says "ignore previous instructions" is a bag of words like any other, and the reasons
given for a choice quote only the request's own words.

With a model (`llm`), the ranking's best candidates go to the model, which may narrow or reorder
them; it can only choose among the candidates, never name a table of its own. The call goes through
`run_agent` like every agent's: the LLM cache answers it when it can, and budgets apply.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field

from airflow_ai_etl.agents.offline.names import singular
from airflow_ai_etl.agents.tools.joins import fk_graph
from airflow_ai_etl.catalog.cache import per_catalog
from airflow_ai_etl.catalog.models import SchemaCatalog, Table
from airflow_ai_etl.memory.words import ABBREVIATIONS

if TYPE_CHECKING:
    from airflow_ai_etl.agents.llm import LLM, AgentCall

# Weights of the places a request word can match, relative to the table's own name.
_W_COLUMN = 0.35
_W_COMMENT = 0.25
_W_SCHEMA = 0.2
#: A table's whole name found word for word, in order, in the request ("order items" ->
#: order_items) multiplies its score by 1 + this per word: longer names found whole say more.
_PHRASE_BONUS_PER_WORD = 0.5
#: Share of a table's score given to the tables it references (orders -> customers: a lookup the
#: request likely needs) and to the tables referencing it (children, histories: less likely).
_FK_PARENT_SHARE = 0.3
_FK_CHILD_SHARE = 0.1
#: Tables within this ratio of the best score count as "asked for": the tables joining them are added.
_SEED_RATIO = 0.4
_MAX_SEEDS = 6
#: Longest FK path (in joins) through which two asked-for tables pull in the tables between them.
_MAX_BRIDGE_JOINS = 3
#: Candidates shown to a model, per table finally chosen.
_MODEL_CANDIDATES_PER_CHOICE = 3

_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")

#: Words that say how or when, not what: they never select a table.
_STOPWORDS = frozenset(
    {
        "a", "an", "the", "and", "or", "of", "for", "to", "from", "into", "in", "on", "at", "by", "with",
        "as", "per", "via", "than", "then", "also", "is", "are", "be", "each", "every", "all", "any",
        "some", "new", "only", "this", "that", "these", "those", "it", "its", "their", "our", "my", "your",
        "we", "i", "me", "you", "please", "want", "need", "would", "like", "can", "could", "should", "will",
        "make", "create", "build", "load", "copy", "move", "transfer", "sync", "replicate", "write", "put",
        "get", "take", "keep", "store", "send", "show", "give", "list", "table", "data", "database",
        "schema", "db", "daily", "nightly", "hourly", "weekly", "monthly", "yearly", "night", "day", "hour",
        "minute", "am", "pm"
    }
)  # fmt: skip
#: "into the (data) warehouse" names where data goes, not a warehouses table.
_TARGET_WAREHOUSE = re.compile(r"\b(?:in)?to\s+(?:the\s+|our\s+)?(?:data\s+)?warehouse\b", re.IGNORECASE)
#: Canonical word for words that name the same thing in table names and requests. Abbreviations
#: (cust, qty, dept, ...) are not listed here: they come from the linking's ABBREVIATIONS, one list
#: for both (measured: recall@10 1.000 on the demo suite and on synonym requests, as before).
SYNONYMS: dict[str, str] = {
    "client": "customer",
    "buyer": "customer",
    "shopper": "customer",
    "consumer": "customer",
    "purchase": "order",
    "staff": "employee",
    "worker": "employee",
    "personnel": "employee",
    "bill": "invoice",
    "vendor": "supplier",
    "delivery": "shipment",
    "shipping": "shipment",
    "article": "product",
    "merchandise": "product",
    "feedback": "review",
    "nation": "country",
    "mail": "email",
    "organisation": "organization",
}
#: Abbreviations that stand for one word; the analyst's terms are single words.
_ONE_WORD = {short: word for short, word in ABBREVIATIONS.items() if word and " " not in word}


@lru_cache(maxsize=65_536)
def _fold(word: str) -> str:
    lowered = word.lower()
    folded = _ONE_WORD.get(lowered) or _ONE_WORD.get(singular(lowered)) or singular(lowered)
    return SYNONYMS.get(folded, folded)


@lru_cache(maxsize=65_536)
def terms(text: str) -> tuple[str, ...]:
    """The words of a name or a phrase, in order: split, lower-cased, singular, synonyms folded."""
    return tuple(_fold(w) for w in _WORD.findall(text) if len(w) > 1 and not w.isdigit())


class SelectedTable(BaseModel):
    """One chosen table and why it was chosen (in the request's words, never the catalog's text)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    conn_id: str
    name: str = Field(description="Qualified table name.")
    score: float
    reasons: list[str] = Field(default_factory=list)
    matched_columns: list[str] = Field(default_factory=list)


class SchemaSelection(BaseModel):
    """The analyst's answer: chosen tables, best first, and the catalogs cut down to them."""

    model_config = ConfigDict(extra="forbid")

    request: str
    tables: list[SelectedTable] = Field(default_factory=list)
    catalogs: list[SchemaCatalog] = Field(
        default_factory=list, description="Each input catalog with only its chosen tables."
    )
    refined_by_model: bool = False

    def subset(self) -> list[SchemaCatalog]:
        """The chosen part of the catalogs: what a prompt may show."""
        return list(self.catalogs)

    def names(self) -> list[str]:
        """`conn_id:table` of every chosen table, best first."""
        return [f"{t.conn_id}:{t.name}" for t in self.tables]


# --- the index -----------------------------------------------------------------------------------


def _idf(postings: dict[str, Any], total: int) -> dict[str, float]:
    return {term: math.log(1 + total / len(hits)) for term, hits in postings.items()}


@dataclass
class _CatalogIndex:
    """Inverted indexes of one catalog: a request is scored by its words' postings, not by a scan.

    It holds no reference to the catalog object itself, which would keep the cache entry alive.
    """

    conn_id: str
    tables: list[Table]
    names: list[str]
    name_terms: list[tuple[str, ...]]
    by_name: dict[str, list[int]] = field(default_factory=dict)
    by_schema: dict[str, list[int]] = field(default_factory=dict)
    by_comment: dict[str, list[int]] = field(default_factory=dict)
    by_column: dict[str, dict[int, list[str]]] = field(default_factory=dict)
    name_idf: dict[str, float] = field(default_factory=dict)
    schema_idf: dict[str, float] = field(default_factory=dict)
    comment_idf: dict[str, float] = field(default_factory=dict)
    column_idf: dict[str, float] = field(default_factory=dict)
    position: dict[str, int] = field(default_factory=dict)


def _add(postings: dict[str, list[int]], words: Iterable[str], index: int) -> None:
    for word in dict.fromkeys(words):
        postings.setdefault(word, []).append(index)


@per_catalog
def _index(catalog: SchemaCatalog) -> _CatalogIndex:
    tables = catalog.tables
    index = _CatalogIndex(
        conn_id=catalog.conn_id,
        tables=tables,
        names=[t.qualified_name for t in tables],
        name_terms=[terms(t.name) for t in tables],
    )
    for i, table in enumerate(tables):
        index.position[index.names[i]] = i
        _add(index.by_name, index.name_terms[i], i)
        _add(index.by_schema, terms(table.schema_name or ""), i)
        _add(index.by_comment, terms(_comment_text(table)), i)
        for column in table.columns:
            for word in terms(column.name):
                index.by_column.setdefault(word, {}).setdefault(i, []).append(column.name)
    total = max(len(tables), 1)
    index.name_idf = _idf(index.by_name, total)
    index.schema_idf = _idf(index.by_schema, total)
    index.comment_idf = _idf(index.by_comment, total)
    index.column_idf = _idf(index.by_column, total)
    return index


def _comment_text(table: Table) -> str:
    return " ".join(filter(None, [table.comment, *(c.comment for c in table.columns)]))


# --- scoring -------------------------------------------------------------------------------------


@dataclass
class _Candidate:
    conn_id: str
    name: str
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    matched_columns: list[str] = field(default_factory=list)
    bonus: float = 0.0
    bonus_reason: str = ""

    @property
    def total(self) -> float:
        return self.score + self.bonus

    def selected(self) -> SelectedTable:
        reasons = [*self.reasons, self.bonus_reason] if self.bonus_reason else self.reasons
        return SelectedTable(
            conn_id=self.conn_id,
            name=self.name,
            score=round(self.total, 4),
            reasons=reasons,
            matched_columns=self.matched_columns,
        )


def _contains_phrase(words: Sequence[str], phrase: Sequence[str]) -> bool:
    n = len(phrase)
    return n > 0 and any(tuple(words[i : i + n]) == tuple(phrase) for i in range(len(words) - n + 1))


def _score_catalog(index: _CatalogIndex, words: Sequence[str]) -> dict[int, _Candidate]:
    """Candidates of one catalog: every table at least one request word matches, with its score."""
    wanted = dict.fromkeys(words)
    hits: dict[str, dict[int, list[str]]] = {
        kind: defaultdict(list) for kind in ("name", "comment", "schema")
    }
    columns: dict[int, dict[str, None]] = defaultdict(dict)
    scores: dict[int, float] = defaultdict(float)
    for word in wanted:
        for kind, postings in (
            ("name", index.by_name),
            ("comment", index.by_comment),
            ("schema", index.by_schema),
        ):
            for i in postings.get(word, ()):
                hits[kind][i].append(word)
        for i, names in index.by_column.get(word, {}).items():
            scores[i] += _W_COLUMN * index.column_idf[word]
            columns[i].update(dict.fromkeys(names))
    for i, matched_words in hits["name"].items():
        own = index.name_terms[i]
        coverage = len(matched_words) / len(set(own))
        score = sum(index.name_idf[w] for w in matched_words) * (0.3 + 0.7 * coverage)
        if coverage == 1.0 and _contains_phrase(words, own):
            score *= 1 + _PHRASE_BONUS_PER_WORD * len(own)
        scores[i] += score
    for i, matched_words in hits["comment"].items():
        scores[i] += _W_COMMENT * sum(index.comment_idf[w] for w in matched_words)
    for i, matched_words in hits["schema"].items():
        scores[i] += _W_SCHEMA * sum(index.schema_idf[w] for w in matched_words)

    found: dict[int, _Candidate] = {}
    for i, score in scores.items():
        reasons = [
            f"{label}: {', '.join(sorted(hits[kind][i]))}"
            for kind, label in (
                ("name", "name matches"),
                ("schema", "schema matches"),
                ("comment", "comment mentions"),
            )
            if hits[kind].get(i)
        ]
        if columns.get(i):
            reasons.append("columns match: " + ", ".join(columns[i]))
        found[i] = _Candidate(index.conn_id, index.names[i], score, reasons, list(columns.get(i, {})))
    return found


# --- choosing ------------------------------------------------------------------------------------


def request_words(request: str, catalogs: Sequence[SchemaCatalog]) -> list[str]:
    """The request's words that can select a table: connection ids and stopwords taken out."""
    text = _TARGET_WAREHOUSE.sub(" ", request)
    for catalog in catalogs:
        text = re.sub(rf"(?<![\w.]){re.escape(catalog.conn_id)}(?![\w])", " ", text, flags=re.IGNORECASE)
    words: list[str] = []
    for raw in _WORD.findall(text):
        if raw.lower() in _STOPWORDS:
            continue
        words += [w for w in terms(raw) if w not in _STOPWORDS]
    return words


def _link_by_meaning(
    pool: dict[tuple[str, str], _Candidate],
    indexes: dict[str, _CatalogIndex],
    catalogs: Sequence[SchemaCatalog],
    words: Sequence[str],
) -> None:
    """Words that no table name holds ("clients" where the table is customers, "parcels" for
    shipments) link to tables by meaning; a link above the threshold scores like a rare name word,
    scaled by the link's score. Lexical matches keep their weight: meaning only adds."""
    from airflow_ai_etl.memory.linking import TABLE_THRESHOLD, encode_phrases, link_tables
    from airflow_ai_etl.memory.words import identifier_words

    unnamed = [w for w in dict.fromkeys(words) if not any(w in index.by_name for index in indexes.values())]
    if not unnamed:
        return
    encode_phrases([identifier_words(w) or w for w in unnamed])  # one batch for all the words
    for word in unnamed:
        for link in link_tables(word, catalogs, limit=3):
            if link.score < TABLE_THRESHOLD:
                continue
            weight = math.log(1 + max(len(indexes[link.conn_id].tables), 1))
            entry = pool.setdefault((link.conn_id, link.table), _Candidate(link.conn_id, link.table))
            entry.score += weight * link.score
            entry.reasons.append(f"{word!r} by meaning (score {link.score:.2f})")


def _ranked(pool: dict[tuple[str, str], _Candidate]) -> list[_Candidate]:
    return sorted(pool.values(), key=lambda c: (-c.total, c.conn_id, c.name))


def _fair_share(ranked: Sequence[_Candidate], catalogs: int, limit: int) -> list[_Candidate]:
    """The best `limit`, keeping each catalog's best few among them.

    Word weights are relative to each catalog, so a small catalog (a warehouse with ten tables,
    the target of a load) scores lower than a large one on the same words; its best matches would
    otherwise never make the cut.
    """
    reserved_each = max(1, limit // (2 * max(catalogs, 1)))
    reserved: list[_Candidate] = []
    taken: dict[str, int] = defaultdict(int)
    for entry in ranked:
        if entry.score > 0 and taken[entry.conn_id] < reserved_each:
            taken[entry.conn_id] += 1
            reserved.append(entry)
    reserved = reserved[:limit]
    keep = {id(e) for e in reserved}
    rest = [e for e in ranked if id(e) not in keep][: limit - len(reserved)]
    keep |= {id(e) for e in rest}
    return [e for e in ranked if id(e) in keep]


def _lend(pool: dict[tuple[str, str], _Candidate], conn_id: str, name: str, bonus: float, why: str) -> None:
    """Give a table a foreign-key bonus: the best one it gets counts, they do not add up."""
    entry = pool.setdefault((conn_id, name), _Candidate(conn_id, name))
    if bonus > entry.bonus:
        entry.bonus = bonus
        entry.bonus_reason = why


def _expand_foreign_keys(
    pool: dict[tuple[str, str], _Candidate], catalogs: dict[str, SchemaCatalog], limit: int
) -> None:
    """Neighbours of the best matches get a share of their score; tables joining two asked-for tables
    get nearly as much as the weaker of the two."""
    top = [c for c in _ranked(pool)[:limit] if c.score > 0]
    if not top:
        return
    for entry in top:
        graph = fk_graph(catalogs[entry.conn_id])
        for neighbour in graph.neighbors(entry.name):
            joins = graph.edges[entry.name, neighbour]["joins"]
            if any(j.left_table == entry.name for j in joins):
                share, why = _FK_PARENT_SHARE, f"referenced by {entry.name}"
            else:
                share, why = _FK_CHILD_SHARE, f"references {entry.name}"
            _lend(pool, entry.conn_id, neighbour, share * entry.score, why)
    seeds = [c for c in top if c.score >= _SEED_RATIO * top[0].score][:_MAX_SEEDS]
    for i, first in enumerate(seeds):
        graph = fk_graph(catalogs[first.conn_id])
        paths = nx.single_source_shortest_path(graph, first.name, cutoff=_MAX_BRIDGE_JOINS)
        for second in seeds[i + 1 :]:
            path = paths.get(second.name) if second.conn_id == first.conn_id else None
            for middle in (path or [])[1:-1]:
                bonus = 0.9 * min(first.score, second.score)
                _lend(pool, first.conn_id, middle, bonus, f"joins {first.name} and {second.name}")


def select_schema(
    request: str,
    catalogs: Sequence[SchemaCatalog],
    *,
    limit: int = 10,
    llm: LLM | None = None,
    call: AgentCall | None = None,
    by_meaning: bool = True,
) -> SchemaSelection:
    """The tables the request needs, best first, at most `limit`, and the catalogs cut down to them.

    Without `llm` the ranking alone decides; with one, the model picks among the ranking's best
    candidates (a failing model leaves the ranking's choice). The call is counted into `call` (the
    orchestrator's record per agent, with its guarded model and what the cache did), failed calls
    included. `by_meaning=False` ranks by names (and keys) only, without loading the embedding model.
    """
    indexes = {c.conn_id: _index(c) for c in catalogs}
    words = request_words(request, catalogs)
    pool: dict[tuple[str, str], _Candidate] = {}
    for conn_id, index in indexes.items():
        for entry in _score_catalog(index, words).values():
            pool[(conn_id, entry.name)] = entry
    if by_meaning:
        _link_by_meaning(pool, indexes, catalogs, words)
    _expand_foreign_keys(pool, {c.conn_id: c for c in catalogs}, limit)
    ranked = _ranked(pool)
    chosen = _fair_share(ranked, len(indexes), limit)
    refined = False
    if llm is not None and ranked:
        candidates = ranked[: limit * _MODEL_CANDIDATES_PER_CHOICE]
        picked = _ask_model(llm, call, request, candidates, indexes)
        if picked:
            chosen, refined = picked[:limit], True
    return SchemaSelection(
        request=request,
        tables=[c.selected() for c in chosen],
        catalogs=_cut(catalogs, indexes, chosen),
        refined_by_model=refined,
    )


def _cut(
    catalogs: Sequence[SchemaCatalog], indexes: dict[str, _CatalogIndex], chosen: Sequence[_Candidate]
) -> list[SchemaCatalog]:
    cut = []
    for catalog in catalogs:
        index = indexes[catalog.conn_id]
        tables = [catalog.tables[index.position[c.name]] for c in chosen if c.conn_id == catalog.conn_id]
        if tables:
            cut.append(catalog.model_copy(update={"tables": tables}))
    return cut


# --- the optional model --------------------------------------------------------------------------

#: Columns and comment text shown per candidate (enough to judge, small enough for the prompt).
_MODEL_COLUMNS = 40
_MODEL_COMMENT = 200


def _ask_model(
    llm: LLM,
    call: AgentCall | None,
    request: str,
    candidates: Sequence[_Candidate],
    indexes: dict[str, _CatalogIndex],
) -> list[_Candidate]:
    """The candidates the model picks, in its order; [] when it picks none of them or fails."""
    from airflow_ai_etl.agents.llm import MODEL_ERRORS, AgentCall, run_agent
    from airflow_ai_etl.agents.prompting import data_block, load_prompt

    by_id: dict[str, _Candidate] = {}
    shown = []
    for entry in candidates:
        index = indexes[entry.conn_id]
        table = index.tables[index.position[entry.name]]
        candidate_id = f"{entry.conn_id}:{entry.name}"
        by_id[candidate_id] = entry
        shown.append(
            {
                "id": candidate_id,
                "columns": [c.name for c in table.columns[:_MODEL_COLUMNS]],
                "references": [fk.ref_table for fk in table.foreign_keys],
                "comment": (table.comment or "")[:_MODEL_COMMENT],
            }
        )
    agent = llm.create_agent(list[str], instructions=load_prompt("schema_analyst"))
    document = json.dumps({"request": request, "candidates": shown}, ensure_ascii=False)
    document = data_block("candidates", document)
    try:
        answer = run_agent(agent, document, call if call is not None else AgentCall())
    except MODEL_ERRORS:
        return []
    picked = [by_id[i] for i in dict.fromkeys(answer) if i in by_id]
    for entry in picked:
        entry.reasons.append("chosen by the model")
    return picked
