"""Schema linking by meaning: a phrase of a request -> the tables and columns it most likely means.

Names are split into words (``clientAccounts``, ``client_accounts`` -> "client accounts") and
embedded; a phrase is compared with every table of a catalog through a FAISS index (built once per
catalog fingerprint and embedder) and with the columns of one table directly. A name whose words
*are* the phrase's words (case, plural and separators aside) scores 1.0 whatever the embedder says.

A link is never a guess: :func:`choose` accepts the best candidate only above a threshold and
clearly ahead of the next one, and otherwise raises :class:`LinkError` listing the best candidates
with their scores, so that a refusal can ask the user instead.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from airflow_ai_etl.catalog.cache import per_catalog
from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table
from airflow_ai_etl.memory.embeddings import Vectors, default_embedder
from airflow_ai_etl.memory.vectors import VectorIndex
from airflow_ai_etl.memory.words import identifier_words

#: Below these scores a link is a question for the user, not an answer.
TABLE_THRESHOLD = 0.5
COLUMN_THRESHOLD = 0.42
#: The best candidate must lead the next by this much; closer is a tie, and ties are asked about.
TIE_MARGIN = 0.03
_CACHED_CATALOGS = 16
_CACHED_TEXTS = 50_000
#: A comment is embedded up to this many characters (what a column is, not its documentation).
_COMMENT_CHARS = 200

#: A table link below this score must lead the next candidate by TABLE_MARGIN: choosing a table
#: is the plan's biggest decision, so a weak link needs a clear lead.
TABLE_MARGIN = 0.08
#: Score of a name whose words abbreviate the phrase's ("shpmt" for shipments, "whse" for warehouse).
ABBREVIATED_SCORE = 0.8


@functools.lru_cache(maxsize=65_536)
def _folded(text: str) -> tuple[str, ...]:
    from airflow_ai_etl.agents.offline.names import singular

    return tuple(singular(w) for w in identifier_words(text).split())


@dataclass(frozen=True)
class Link:
    """A phrase linked to a table (column None) or to a column of it, with the similarity score."""

    phrase: str
    conn_id: str
    table: str  # qualified name
    column: str | None
    score: float

    @property
    def target(self) -> str:
        return f"{self.conn_id}:{self.table}" + (f".{self.column}" if self.column else "")

    def describe(self) -> str:
        return f"{self.phrase!r} -> {self.target} (score {self.score:.2f})"


class LinkError(ValueError):
    """No candidate is good enough, or two are equally good; the message lists the best ones."""

    def __init__(self, message: str, candidates: Sequence[Link]) -> None:
        super().__init__(message)
        self.candidates = list(candidates)


class _TextVectors:
    """Vectors of texts already seen (names repeat across tables: id, created at, ...)."""

    def __init__(self) -> None:
        self._cache: OrderedDict[tuple[str, str], Vectors] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, texts: Sequence[str]) -> Vectors:
        embedder = default_embedder()
        name = embedder.name
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if (name, t) not in self._cache))
        if missing:
            fresh = embedder.encode(missing)
            with self._lock:
                for text, vector in zip(missing, fresh, strict=True):
                    self._cache[(name, text)] = vector
                while len(self._cache) > _CACHED_TEXTS:
                    self._cache.popitem(last=False)
        with self._lock:
            return (
                np.stack([self._cache[(name, t)] for t in texts]) if texts else np.zeros((0, 1), np.float32)
            )


_texts = _TextVectors()


def encode_phrases(texts: Sequence[str]) -> Vectors:
    """Vectors of phrases through the shared cache (the same phrase is encoded once per process)."""
    return _texts.get(texts)


@dataclass(frozen=True)
class _TableIndex:
    """One catalog's tables as vectors of their name words, searchable by meaning."""

    tables: list[Table]
    index: VectorIndex
    #: Tables by the number of words in their names: a spelling match needs as many words.
    by_length: dict[int, list[Table]]


_by_fingerprint: OrderedDict[tuple[str, str], _TableIndex] = OrderedDict()
_by_fingerprint_lock = threading.Lock()


@per_catalog
def table_index(catalog: SchemaCatalog) -> _TableIndex:
    """The catalog's table index, shared by every catalog object of the same structure."""
    key = (catalog.fingerprint(), default_embedder().name)
    with _by_fingerprint_lock:
        hit = _by_fingerprint.get(key)
        if hit is not None:
            _by_fingerprint.move_to_end(key)
            return hit
    texts = [identifier_words(t.name) or t.name for t in catalog.tables]
    by_length: dict[int, list[Table]] = {}
    for table in catalog.tables:
        by_length.setdefault(len(_folded(table.name)), []).append(table)
    built = _TableIndex(list(catalog.tables), VectorIndex.build(encode_phrases(texts)), by_length)
    with _by_fingerprint_lock:
        _by_fingerprint[key] = built
        while len(_by_fingerprint) > _CACHED_CATALOGS:
            _by_fingerprint.popitem(last=False)
    return built


def _abbreviates(short: str, word: str) -> bool:
    """`short` is `word` with letters left out, same first letter (cust, shpmt, whse)."""
    if len(short) < 3 or len(short) >= len(word) or short[0] != word[0]:
        return False
    letters = iter(word)
    return all(letter in letters for letter in short)


def _lexical_score(phrase: str, name: str) -> float | None:
    """1.0 when the words are the same, ABBREVIATED_SCORE when the name abbreviates them, else None."""
    said, named = _folded(phrase), _folded(name)
    if said == named:
        return 1.0
    pairs = zip(named, said, strict=True) if said and len(said) == len(named) else None
    if pairs is not None and all(n == s or _abbreviates(n, s) for n, s in pairs):
        return ABBREVIATED_SCORE
    return None


def link_tables(phrase: str, catalogs: Sequence[SchemaCatalog], *, limit: int = 5) -> list[Link]:
    """The tables of `catalogs` nearest in meaning (or spelling) to `phrase`, best first."""
    query = encode_phrases([identifier_words(phrase) or phrase])
    best: dict[tuple[str, str], float] = {}
    for catalog in catalogs:
        if not catalog.tables:
            continue
        found = table_index(catalog)
        scores, ids = found.index.search(query, limit)
        hits = [(found.tables[i], float(score)) for score, i in zip(scores[0], ids[0], strict=True) if i >= 0]
        spelt = found.by_length.get(len(_folded(phrase)), [])
        hits += [(t, lexical) for t in spelt if (lexical := _lexical_score(phrase, t.name))]
        for table, score in hits:
            key = (catalog.conn_id, table.qualified_name)
            best[key] = max(score, best.get(key, 0.0))
    links = [Link(phrase, conn, table, None, round(score, 4)) for (conn, table), score in best.items()]
    return sorted(links, key=lambda link: -link.score)[:limit]


def descriptions(column: Column) -> list[str]:
    """What a column is called, in words: its name, its comment when the catalog has one (only
    compared, never followed), and its sampled values when it has a value summary."""
    texts = [identifier_words(column.name) or column.name]
    if column.comment and column.comment.strip():
        texts.append(" ".join(column.comment.split())[:_COMMENT_CHARS])
    if column.values:  # a summary's values say what the column holds: "status: paid, cancelled"
        texts.append(f"{texts[0]}: {', '.join(column.values)}"[:_COMMENT_CHARS])
    return texts


def link_columns(
    phrase: str,
    catalog: SchemaCatalog,
    table: Table,
    *,
    accept: Callable[[Column], bool] | None = None,
    limit: int = 5,
) -> list[Link]:
    """The columns of `table` nearest in meaning to `phrase` (only those `accept` allows), best first.

    A column scores by the best of its descriptions: its name in words, or its comment."""
    columns = [c for c in table.columns if accept is None or accept(c)]
    if not columns:
        return []
    texts = [descriptions(c) for c in columns]
    vectors = encode_phrases([identifier_words(phrase) or phrase] + [t for ts in texts for t in ts])
    scores = vectors[1:] @ vectors[0]
    links = []
    start = 0
    for column, described in zip(columns, texts, strict=True):
        meaning = float(scores[start : start + len(described)].max())
        start += len(described)
        score = _lexical_score(phrase, column.name) or meaning
        links.append(Link(phrase, catalog.conn_id, table.qualified_name, column.name, round(score, 4)))
    return sorted(links, key=lambda link: -link.score)[:limit]


def choose(links: Sequence[Link], *, threshold: float, what: str, margin: float = TIE_MARGIN) -> Link:
    """The best link when it is good enough and ahead of the next by `margin` (exact names need no
    lead); else LinkError listing the candidates."""
    shown = ", ".join(f"{link.target} ({link.score:.2f})" for link in links[:5]) or "none"
    if not links or links[0].score < threshold:
        phrase = links[0].phrase if links else what
        raise LinkError(
            f"no {what} is close enough in meaning to {phrase!r} (threshold {threshold:.2f}); "
            f"best candidates: {shown}",
            links,
        )
    if len(links) > 1 and links[1].score > links[0].score - margin and links[0].score < 1.0:
        raise LinkError(
            f"{links[0].phrase!r} could be more than one {what}: {shown}; name the one you mean", links
        )
    return links[0]
