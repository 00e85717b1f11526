"""Which tables and connections a request names: sources, the target connection, a target table.

Only tables present in the catalogs can be sources. A name the catalogs do not hold is accepted
only as the *target* of `into`/`to`/`as`, where it means "create this table".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from airflow_ai_etl.agents.offline.names import (
    TableRef,
    connection_aliases,
    find_tables,
    phrase_pattern,
    tables_by_form,
)
from airflow_ai_etl.agents.offline.text import RequestText
from airflow_ai_etl.catalog.models import SchemaCatalog

_I = re.IGNORECASE
_IDENT = r"[A-Za-z_]\w*"
_DOTTED = re.compile(rf"(?<![\w.@]){_IDENT}(?:\.{_IDENT}){{1,2}}(?![\w@]|\.\w)")


#: Words after "as" that do not name a table ("as soon as", "as well", "as usual"), and the roles
#: a column takes in a load ("using updated_at as watermark", "with id as key").
_NOT_NAMES = frozenset(
    {"soon", "well", "usual", "needed", "possible", "before", "always", "is", "it", "such",
     "watermark", "key", "primary"}
)  # fmt: skip


class PlanningError(ValueError):
    """The request cannot be planned; the message says why, in the user's terms."""


@dataclass
class TargetPhrase:
    """What `into`/`to`/`as` named: a connection, a table (existing or to create), or both."""

    conn_id: str | None = None
    table: str | None = None
    existing: list[TableRef] = field(default_factory=list)


@dataclass
class Mentions:
    """Every table and connection the request names, in request order."""

    sources: list[list[TableRef]] = field(default_factory=list)  # per mention: its candidates
    source_words: list[str] = field(default_factory=list)
    source_starts: list[int] = field(default_factory=list)  # where each mention begins in the text
    from_conns: list[str] = field(default_factory=list)
    other_conns: list[str] = field(default_factory=list)


class TableReader:
    """Reads table and connection names against the catalogs."""

    def __init__(self, catalogs: Sequence[SchemaCatalog]) -> None:
        self.catalogs = list(catalogs)
        table_forms = frozenset().union(*(tables_by_form(c) for c in catalogs))
        # A connection alias that is also a table name reads as the table: tables are what matter.
        self.aliases = {a: c for a, c in connection_aliases(catalogs).items() if a not in table_forms}
        self._table_forms = table_forms

    def is_table_word(self, word: str) -> bool:
        """Whether `word` is a form of some catalog table's name ("orders", "order items")."""
        return " ".join(word.lower().split()) in self._table_forms

    def conn_of(self, word: str) -> str | None:
        return self.aliases.get(" ".join(word.lower().split()))

    def read_target(self, req: RequestText) -> TargetPhrase:
        """`into|to|as [the] [new] [table] <name>` and `replace|refresh|fill <name> with|from` phrases.

        Unrecognised names after `to`/`as` are left alone ("to copy"); after `into`, and as the
        object of replace/refresh/fill, a name is a target whether it exists or not.
        """
        alias = phrase_pattern(list(self.aliases)) or r"(?!)"
        pattern = re.compile(
            rf"\b(?:(?P<into>into)|(?P<as>as)|to)\s+(?:the\s+|a\s+)?(?:(?P<new>new|target|existing)\s+)?"
            rf"(?P<tableword>table\s+)?"
            rf"(?:(?P<alias>{alias})(?!\w|\.\w)|(?P<name>{_IDENT}(?:\.{_IDENT}){{0,2}}))(?:\s+table\b)?"
            rf"|\b(?:replace|overwrite|refresh|reload|refill|repopulate|fill|populate|rebuild)\s+"
            rf"(?:the\s+)?(?:(?:existing|target)\s+)?(?P<tableword2>table\s+)?"
            rf"(?P<name2>{_IDENT}(?:\.{_IDENT}){{0,2}})(?:\s+table)?(?=\s+(?:with|from|using)\b)",
            _I,
        )
        target = TargetPhrase()
        for match in list(req.finditer(pattern)):
            if match.group("name2"):
                self._named_target(req, target, match, match.group("name2"), explicit=True)
                continue
            if match.group("alias"):
                self._set_conn(target, self.aliases[" ".join(match.group("alias").lower().split())])
                req.claim(*match.span())
                continue
            named_as = bool(match.group("as")) and (match.group("name") or "").lower() not in _NOT_NAMES
            explicit = bool(match.group("tableword") or match.group("new") or match.group("into") or named_as)
            self._named_target(req, target, match, match.group("name"), explicit=explicit)
        return target

    def _named_target(
        self, req: RequestText, target: TargetPhrase, match: re.Match[str], name: str, *, explicit: bool
    ) -> None:
        first, _, rest = name.partition(".")
        conn = self.conn_of(first) if rest else None
        table_name = rest if conn else name
        existing = [
            ref for ref in find_tables(table_name, self.catalogs) if conn is None or ref.conn_id == conn
        ]
        if not existing and not (explicit or "." in table_name or "_" in table_name):
            return  # "to copy", "to the ..." — not a target
        if target.table is not None and target.table.lower() != table_name.lower():
            raise PlanningError(f"two target tables are named: {target.table!r} and {table_name!r}")
        if conn:
            self._set_conn(target, conn)
        target.table, target.existing = table_name, existing
        req.claim(*match.span("name2" if match.group("name2") else "name"))
        if not match.group("name2"):
            req.claim(*match.span())

    @staticmethod
    def _set_conn(target: TargetPhrase, conn_id: str) -> None:
        if target.conn_id is not None and target.conn_id != conn_id:
            raise PlanningError(f"two target connections are named: {target.conn_id!r} and {conn_id!r}")
        target.conn_id = conn_id

    def read_mentions(self, req: RequestText) -> Mentions:
        """Qualified names, connection names and table names, claimed in that order."""
        mentions = Mentions()
        found: list[tuple[int, str, list[TableRef]]] = []
        for match in list(req.finditer(_DOTTED)):
            name = match.group()
            first, _, rest = name.partition(".")
            conn = self.conn_of(first)
            refs = [
                r
                for r in find_tables(rest if conn else name, self.catalogs)
                if conn is None or r.conn_id == conn
            ]
            if not refs:
                raise PlanningError(f"table {name!r} is not in any catalog ({self.known_tables()})")
            req.claim(*match.span())
            found.append((match.start(), name, refs))

        if self.aliases:
            conn_pattern = re.compile(
                rf"\b(?:(?P<prep>from|in|on|at|of)\s+(?:the\s+)?)?(?P<alias>{phrase_pattern(list(self.aliases))})(?!\w|\.\w)",
                _I,
            )
            for match in req.claim_all(conn_pattern):
                conn = self.aliases[" ".join(match.group("alias").lower().split())]
                prep = (match.group("prep") or "").lower()
                bucket = mentions.from_conns if prep == "from" else mentions.other_conns
                if conn not in bucket:
                    bucket.append(conn)

        if self._table_forms:
            table_pattern = re.compile(rf"(?<![\w.])(?:{phrase_pattern(self._table_forms)})(?![\w]|\.\w)", _I)
            for match in req.claim_all(table_pattern):
                word = " ".join(match.group().lower().split())
                refs = find_tables(word.replace(" ", "_"), self.catalogs)
                found.append((match.start(), match.group(), refs))

        for start, word, refs in sorted(found, key=lambda item: item[0]):
            mentions.sources.append(refs)
            mentions.source_words.append(word)
            mentions.source_starts.append(start)
        return mentions

    def known_tables(self) -> str:
        """The catalogs' tables, for messages: `shop: customers, orders; warehouse: (no tables)`."""
        parts = []
        for catalog in self.catalogs:
            names = sorted(t.qualified_name for t in catalog.tables)
            shown = ", ".join(names[:30]) + (f", ... ({len(names)} tables)" if len(names) > 30 else "")
            parts.append(f"{catalog.conn_id}: {shown or '(no tables)'}")
        return "; ".join(parts)
