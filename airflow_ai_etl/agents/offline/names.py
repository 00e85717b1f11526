"""Matching the words of a request to the catalogs' connections, tables and columns.

Only names the catalogs hold can match: the planner never invents a source table. Matching forgives
case, singular/plural and spaces for underscores ("order items" finds order_items); it never
forgives a different word.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import ParseError

from airflow_ai_etl.agents.offline.text import word_set
from airflow_ai_etl.catalog.cache import per_catalog
from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table

#: Parts of a connection id that name its technology or environment rather than the system.
_GENERIC_CONN_PARTS = word_set(
    "pg postgres postgresql ch clickhouse sqlite mysql db conn connection default prod dev test"
)
_WAREHOUSE_WORDS = frozenset({"warehouse", "dwh", "wh"})

#: Columns that record when a row last changed, best first: the watermark of an incremental load.
WATERMARK_NAMES = (
    "updated_at", "modified_at", "last_modified", "last_updated", "last_modified_at", "changed_at",
    "updated", "modified", "created_at", "inserted_at", "ingested_at", "loaded_at", "created",
)  # fmt: skip
#: Columns that record when the thing a row describes happened, best first: the time of an aggregate.
EVENT_TIME_NAMES = (
    "created_at", "ordered_at", "order_date", "occurred_at", "event_time", "event_at", "timestamp",
    "ts", "date", "inserted_at", "updated_at",
)  # fmt: skip


@dataclass(frozen=True)
class TableRef:
    """A table of one catalog."""

    catalog: SchemaCatalog
    table: Table

    @property
    def conn_id(self) -> str:
        return self.catalog.conn_id

    @property
    def name(self) -> str:
        return self.table.qualified_name

    @property
    def label(self) -> str:
        return f"{self.catalog.conn_id}:{self.table.qualified_name}"


def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def plural(word: str) -> str:
    if word.endswith("y") and word[-2:-1] not in tuple("aeiou"):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


@functools.lru_cache(maxsize=65_536)
def name_forms(name: str) -> frozenset[str]:
    """Lower-case forms a request may use for `name`: singular/plural of the last word, _ or space."""
    lowered = name.lower()
    forms = {lowered, singular(lowered), plural(singular(lowered))}
    return frozenset(forms | {f.replace("_", " ") for f in forms})


def phrase_pattern(forms: Iterable[str]) -> str:
    """A regex alternation of phrases, longest first, spaces matching any whitespace."""
    return _alternation(frozenset(forms))


@functools.lru_cache(maxsize=64)
def _alternation(forms: frozenset[str]) -> str:
    """Cached: the same catalogs' thousands of table forms come with every request."""
    ordered = sorted(forms, key=lambda f: (-len(f), f))
    return "|".join(r"\s+".join(re.escape(part) for part in f.split()) for f in ordered)


def connection_aliases(catalogs: Sequence[SchemaCatalog]) -> dict[str, str]:
    """alias (lower case) -> conn_id, keeping only aliases that name exactly one connection."""
    claims: dict[str, set[str]] = {}
    for catalog in catalogs:
        conn = catalog.conn_id
        aliases = {conn.lower()}
        parts = [p for p in re.split(r"[_.\-]+", conn.lower()) if p]
        specific = [p for p in parts if p not in _GENERIC_CONN_PARTS]
        if specific:
            aliases.add("_".join(specific))
            aliases.add(" ".join(specific))
        if _WAREHOUSE_WORDS & set(parts):
            aliases |= {"warehouse", "data warehouse", "dwh"}
            # "clinic_wh" is also "the clinic warehouse"
            system = " ".join(p for p in specific if p not in _WAREHOUSE_WORDS)
            if system:
                aliases |= {f"{system} warehouse", f"{system} data warehouse"}
        if catalog.dialect:
            aliases.add(catalog.dialect.lower())
        for alias in aliases:
            claims.setdefault(alias, set()).add(conn)
    return {alias: next(iter(conns)) for alias, conns in claims.items() if len(conns) == 1}


def find_tables(name: str, catalogs: Sequence[SchemaCatalog]) -> list[TableRef]:
    """Tables whose name (possibly qualified: conn.schema.table, schema.table, conn.table) is `name`."""
    parts = name.lower().split(".")
    found: list[TableRef] = []
    for catalog in catalogs:
        for table in tables_by_form(catalog).get(parts[-1], ()):
            if _qualified_match(parts[:-1], catalog, table):
                found.append(TableRef(catalog, table))
    return found


@per_catalog
def tables_by_form(catalog: SchemaCatalog) -> dict[str, list[Table]]:
    """Every name form -> the tables it names, so a look-up does not scan a thousand tables."""
    index: dict[str, list[Table]] = {}
    for table in catalog.tables:
        for form in name_forms(table.name):
            index.setdefault(form, []).append(table)
    return index


def _qualified_match(qualifiers: list[str], catalog: SchemaCatalog, table: Table) -> bool:
    schema = (table.schema_name or "").lower()
    conn = catalog.conn_id.lower()
    if len(qualifiers) == 0:
        return True
    if len(qualifiers) == 1:
        return qualifiers[0] in (schema, conn)
    return len(qualifiers) == 2 and qualifiers == [conn, schema]


def resolve_column(table: Table, word: str) -> Column | None:
    """The column a word names: its name, singular/plural, `<word>_id`, or a foreign key to `<word>s`."""
    lowered = word.lower().replace(" ", "_")
    for form in (lowered, singular(lowered), plural(lowered), f"{singular(lowered)}_id"):
        column = table.column(form)
        if column is not None:
            return column
    for fk in table.foreign_keys:
        ref_name = fk.ref_table.split(".")[-1]
        if len(fk.columns) == 1 and lowered in name_forms(ref_name):
            return table.column(fk.columns[0])
    return None


_T = exp.DataType.Type
#: Auto-increment pseudo-types name a sequence, not a storage type: the values are plain integers.
_SERIALS = {_T.SERIAL: _T.INT, _T.BIGSERIAL: _T.BIGINT, _T.SMALLSERIAL: _T.SMALLINT}


def data_type(column: Column, dialect: str) -> exp.DataType:
    """The column's type as sqlglot reads it in the catalog's dialect (USERDEFINED when unreadable),
    as a copy the caller may change."""
    return _read_type(column.type, dialect).copy()


def has_type(column: Column, dialect: str, types: Iterable[exp.DType]) -> bool:
    return _read_type(column.type, dialect).is_type(*types)


@functools.lru_cache(maxsize=2048)
def _read_type(spelling: str, dialect: str) -> exp.DataType:
    """Parsed once per spelling: a catalog repeats a few types over all its columns, and the
    intent of every cached model call is a plan over them. Shared, so never handed out to change."""
    try:
        parsed = exp.DataType.build(spelling, dialect=dialect or None, udt=True)
    except (ParseError, ValueError):
        parsed = exp.DataType.build(spelling, udt=True)
    if parsed.this in _SERIALS:
        return exp.DataType.build(_SERIALS[parsed.this])
    return parsed


def is_temporal(column: Column, dialect: str) -> bool:
    return has_type(column, dialect, exp.DataType.TEMPORAL_TYPES)


def is_numeric(column: Column, dialect: str) -> bool:
    return has_type(column, dialect, exp.DataType.NUMERIC_TYPES)


#: Names that say a column holds a time: created_at, ship_dt, upd_ts, joinedOn, event_time, ...
_TIME_NAME = re.compile(r"(?:^|_)(?:at|on|dt|ts|date|time|timestamp)$|[a-z](?:At|On|Date|Time)$")


_BOOKKEEPING = re.compile(r"upd|modif|chang|load|ingest|insert|sync", re.IGNORECASE)


def is_time_like(column: Column, dialect: str) -> bool:
    """Temporal by type, or (SQLite, where dates are ISO-8601 text) text with a time-like name."""
    if is_temporal(column, dialect):
        return True
    return (
        dialect == "sqlite"
        and has_type(column, dialect, exp.DataType.TEXT_TYPES)
        and bool(_TIME_NAME.search(column.name))
    )


def pick_time_column(table: Table, dialect: str, preference: Sequence[str]) -> Column | None:
    """The best time column by the name preference, else the only one (SQLite: see is_time_like)."""
    temporal = [c for c in table.columns if is_time_like(c, dialect)]
    for name in preference:
        for column in temporal:
            if column.name.lower() == name:
                return column
    if len(temporal) == 1:
        return temporal[0]
    # Several: when the thing happened is always set, bookkeeping stamps (upd_ts) are not it.
    events = [c for c in temporal if not c.nullable and not _BOOKKEEPING.search(c.name)]
    return events[0] if len(events) == 1 else None


def pick_watermark(table: Table, dialect: str) -> Column | None:
    """The change-time column of an incremental load.

    SQLite has no date/time type: its timestamps are ISO-8601 TEXT, which sorts in time order, so
    there a TEXT column with a watermark name (updated_at, ...) counts too.
    """
    column = pick_time_column(table, dialect, WATERMARK_NAMES)
    if column is None and dialect == "sqlite":
        by_name = {c.name.lower(): c for c in table.columns if has_type(c, dialect, exp.DataType.TEXT_TYPES)}
        column = next((by_name[name] for name in WATERMARK_NAMES if name in by_name), None)
    return column
