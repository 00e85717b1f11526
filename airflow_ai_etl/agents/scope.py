"""What a generated pipeline may do at all: move data between the named connections, nothing else.

A request (or a model's plan) that sends data somewhere else — a URL, an e-mail address, a file
path outside the named file connections — or changes data in place instead of loading it, is
refused with the clause that asked for it. Reinterpreting it (dropping the hostile part and
planning the rest) would deploy something nobody asked for.

Detection is by grammar, not by phrase lists:
- destinations: URL syntax (any `scheme://`), e-mail address syntax, and path syntax (absolute,
  `./`, `../`, `~/`, a drive letter, or a file name with a data-file extension); an address is
  accepted only as a failure notification (the spec can e-mail on failure, never data), a path
  or URL only under a location of a named file connection, and never with `..` in it;
- data changes in a request: a clause whose imperative verb is a data-changing SQL verb (update,
  delete, drop, truncate, alter, grant, ...) and which loads nothing;
- data changes in a plan: every SQL statement is parsed with sqlglot and any statement node that
  changes data in place (UPDATE, DELETE, DROP, TRUNCATE, ALTER, GRANT, REVOKE, COPY, commands)
  is refused; loads (INSERT, MERGE, CREATE ... AS) are validation's business.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.spec import PipelineSpec
from airflow_ai_etl.sql_depth import deep_nesting

_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>()]+|\bwww\.[^\s'\"<>()]+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PATH = re.compile(
    r"(?<![\w:/.@*-])(?:"  # not after '*': a cron step (*/30) is no path
    r"[A-Za-z]:\\[^\s'\"]+"  # C:\dir\file
    r"|(?:~|\.{1,2})?/[\w.@%+~-]+(?:/[\w.@%+~-]*)*"  # /abs, ./rel, ../up, ~/home
    r"|[\w.-]+(?:/[\w.-]+)*\.(?:csv|tsv|json|jsonl|ndjson|parquet|avro|orc|xlsx?|txt|gz|zst|zip|bz2|xz)\b"
    r")"
)
#: Clause boundaries: sentence ends, semicolons, line breaks.
_CLAUSES = re.compile(r"[;\n]+|(?<=[.!?])\s+")
#: Leading words that do not change what a clause asks for.
_LEAD = re.compile(r"^(?:\W|and\b|then\b|also\b|please\b|finally\b|afterwards\b|next\b)+", re.IGNORECASE)
#: Imperative verbs that are SQL's own data-changing statements (or their plain-English names).
_CHANGE_VERBS = frozenset(
    {"update", "delete", "remove", "drop", "truncate", "alter", "set", "erase", "wipe", "purge",
     "rename", "modify", "grant", "revoke", "overwrite"}
)  # fmt: skip
#: A clause that loads something (it names a load or a target) changes data by loading it.
_LOADS = re.compile(
    r"\b(?:load|copy|cop(?:ies|ied)|sync|transfer|ingest|import|export|replicat|move|upsert|into)\w*",
    re.IGNORECASE,
)
#: The only place a spec sends mail: a failure notification; a clause about failing may name it.
_FAILURE = re.compile(r"\b(?:fail|error|alert|notif)\w*", re.IGNORECASE)
#: Statement nodes that change data in place, and how a refusal names them.
_IN_PLACE: dict[type[exp.Expr], str] = {
    exp.Update: "UPDATE",
    exp.Delete: "DELETE",
    exp.Drop: "DROP",
    exp.TruncateTable: "TRUNCATE",
    exp.Alter: "ALTER",
    exp.Grant: "GRANT",
    exp.Revoke: "REVOKE",
    exp.Copy: "COPY",
    exp.Command: "a command",
}
#: A spec field that is the request's own words, copied by the orchestrator, not planned.
_OWN_WORDS = "request"


@dataclass(frozen=True)
class Refusal:
    """Why a request or a plan is refused, and the clause (or the plan's field) that asked for it."""

    clause: str
    reason: str

    def __str__(self) -> str:
        return f"refused: {self.reason} (in {self.clause!r})"


def clauses(request: str) -> list[str]:
    return [c.strip() for c in _CLAUSES.split(request) if c and c.strip()]


def _file_roots(catalogs: Sequence[SchemaCatalog]) -> list[str]:
    """Folders and prefixes of the named file connections' datasets (as their introspector wrote them)."""
    roots = []
    for catalog in catalogs:
        for table in catalog.tables:
            if table.kind != "file" or not table.comment:
                continue
            found = re.search(r" at (\S+)", table.comment)
            if found:
                path = found.group(1)
                roots.append(path if path.endswith("/") else posixpath.dirname(path) + "/")
    return roots


def _under_file_connection(location: str, roots: Sequence[str]) -> bool:
    if ".." in location.replace("\\", "/").split("/"):
        return False
    return any(location.startswith(root) or location + "/" == root for root in roots)


def _destinations(text: str) -> Iterator[tuple[str, str]]:
    """(kind, value) of every URL, e-mail address and path written in `text`."""
    for match in _URL.finditer(text):
        yield "URL", match.group(0).rstrip(".,")
    rest = _URL.sub(" ", text)
    for match in _EMAIL.finditer(rest):
        yield "address", match.group(0)
    rest = _EMAIL.sub(" ", rest)
    for match in _PATH.finditer(rest):
        yield "path", match.group(0).rstrip(".,")


def _destination_refusal(clause: str, kind: str, value: str, roots: Sequence[str]) -> str | None:
    if kind == "address":
        if _FAILURE.search(clause):
            return None
        return f"it sends data to the e-mail address {value}; a pipeline only e-mails failure notices"
    if _under_file_connection(value, roots):
        return None
    where = "outside the named connections"
    if ".." in value:
        where = "outside its folder (it climbs with '..')"
    return f"it sends data to the {kind} {value}, {where}; name a connection to load into instead"


def check_request(request: str, catalogs: Sequence[SchemaCatalog]) -> Refusal | None:
    """The first clause of a request that a pipeline over `catalogs` must not do, if any."""
    roots = _file_roots(catalogs)
    for clause in clauses(request):
        for kind, value in _destinations(clause):
            reason = _destination_refusal(clause, kind, value, roots)
            if reason is not None:
                return Refusal(clause, reason)
        words = _LEAD.sub("", clause).split(maxsplit=1)
        verb = words[0].lower().strip(",:") if words else ""
        if verb in _CHANGE_VERBS and not _LOADS.search(clause):
            return Refusal(
                clause,
                f"it asks to {verb} data in place; a generated pipeline only loads data "
                "(write such a step by hand, with a grant)",
            )
    return None


def _strings(data: Any, where: str) -> Iterator[tuple[str, str]]:
    """(field path, text) of every string in a spec's data."""
    if isinstance(data, str):
        yield where, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, f"{where}.{key}" if where else str(key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _strings(value, f"{where}[{i}]")


@functools.lru_cache(maxsize=1024)
@deep_nesting()
def _in_place_changes(sql: str, dialect: str | None) -> tuple[str, ...]:
    """'UPDATE public.customers' and the like, for every in-place change in a SQL text.

    Cached: the plan is re-checked after every SQL field the expert writes, and parsing the same
    statements again each time was most of a draft's time."""
    try:
        statements = sqlglot.parse(sql, read=dialect or None)
    except SqlglotError:
        return ()  # unparsable SQL is refused by validation, with the parser's message
    changes: list[str] = []
    for statement in statements:
        if statement is None:
            continue
        for node in statement.walk():
            label = next((name for kind, name in _IN_PLACE.items() if isinstance(node, kind)), None)
            if label is None:
                continue
            table = node.this if isinstance(node.this, exp.Table) else node.find(exp.Table)
            changes.append(f"{label} {table.sql()}" if table is not None else label)
    return tuple(changes)


def _written_in_accepted_clause(value: str, request: str, catalogs: Sequence[SchemaCatalog]) -> bool:
    return any(value in clause and check_request(clause, catalogs) is None for clause in clauses(request))


def check_plan(spec: PipelineSpec, request: str, catalogs: Sequence[SchemaCatalog]) -> Refusal | None:
    """The first thing in a plan that the request did not ask for and a pipeline must not do, if any.

    A destination in the plan must be one the request wrote (and `check_request` accepted);
    an in-place change in any SQL statement is refused outright.
    """
    roots = _file_roots(catalogs)
    dialects = {c.conn_id: c.dialect for c in catalogs}
    data = spec.model_dump(mode="json", exclude={_OWN_WORDS})
    for where, text in _strings(data, ""):
        for kind, value in _destinations(text):
            if _written_in_accepted_clause(value, request, catalogs):
                continue  # e.g. a failure notice's address, repeated in the description
            if kind != "address" and _under_file_connection(value, roots):
                continue
            return Refusal(f"plan field {where}", f"the plan sends data to the {kind} {value}, not asked for")
    for i, step in enumerate(data.get("steps", [])):
        for where, text in _strings(step, ""):
            if where.split(".")[-1] != "sql":
                continue
            conn_id = step.get("conn_id") or (step.get("source") or {}).get("conn_id")
            for change in _in_place_changes(text, dialects.get(conn_id or "")):
                return Refusal(
                    f"plan step {step.get('id', i)} field {where}",
                    f"the plan's SQL changes data in place ({change}), which the request did not ask to load",
                )
    return None
