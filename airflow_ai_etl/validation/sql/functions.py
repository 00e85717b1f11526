"""The functions, operators, casts and types each database really has, read from package data.

The catalogues in `catalogues/<dialect>.json.gz` are generated from the engines themselves by
scripts/function_catalogues.py (PostgreSQL's pg_proc/pg_operator/pg_cast/pg_type, ClickHouse's
system.functions, Spark's function registry, SQLite's pragma_function_list), so a rule that asks
"does this function exist, with which arguments" gets the engine's answer, not a hand-kept list.
PostgreSQL's carries its type system too; the other dialects only names and kinds.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

from sqlglot.dialects.dialect import Dialect

Kind = Literal["normal", "aggregate", "window"]
Volatility = Literal["immutable", "stable", "volatile", "unknown"]
#: What calling the function may do besides computing a value (see scripts/function_catalogues.py).
SideEffect = Literal["none", "nondeterministic", "writes", "privileged", "unknown"]

#: The type of a string literal or NULL before PostgreSQL resolves it: it fits any parameter.
UNKNOWN = "unknown"
#: Parameter types that take arguments of many types (checked loosely: never a reason to reject).
_POLYMORPHIC = frozenset(
    {
        "any",
        "anyelement",
        "anynonarray",
        "anycompatible",
        "anycompatiblenonarray",
    }
)
_ARRAY_POLYMORPHIC = frozenset({"anyarray", "anycompatiblearray"})
_CATEGORY_POLYMORPHIC = {
    "anyenum": "E",
    "anyrange": "R",
    "anycompatiblerange": "R",
    "anymultirange": "R",
    "anycompatiblemultirange": "R",
    "record": "C",
}
_TYPE_MODIFIERS = re.compile(r"\s*\([^)]*\)")


@dataclass(frozen=True)
class Signature:
    """One overload of a function as the engine declares it."""

    kind: Kind
    args: tuple[str, ...] | None = None  # None: the engine does not say (not PostgreSQL)
    returns: str | None = None
    variadic: str | None = None
    defaults: int = 0
    volatility: Volatility = "unknown"
    side_effect: SideEffect = "unknown"
    returns_set: bool = False

    def accepts_count(self, count: int) -> bool:
        if self.args is None:
            return True
        if self.variadic is not None:
            return count >= len(self.args) - 1 - self.defaults
        return len(self.args) - self.defaults <= count <= len(self.args)

    def parameters(self, count: int) -> tuple[str, ...]:
        """The parameter type each of `count` arguments is passed to (variadic ones expanded)."""
        assert self.args is not None
        if self.variadic is None or count < len(self.args):
            return self.args[:count]
        return (*self.args[:-1], *[self.variadic] * (count - len(self.args) + 1))


@dataclass(frozen=True)
class FunctionCatalogue:
    """One dialect's built-in functions and, for PostgreSQL, its operators, casts and types."""

    dialect: str
    engine: str
    case_sensitive: bool
    functions: dict[str, tuple[Signature, ...]]
    #: Applications register functions per session here (Spark UDFs): no catalog lists them all.
    session_functions: bool = False
    case_insensitive: frozenset[str] = frozenset()
    operators: dict[str, tuple[tuple[str, str, str], ...]] = field(default_factory=dict)
    casts: dict[str, dict[str, str]] = field(default_factory=dict)
    types: dict[str, dict[str, Any]] = field(default_factory=dict)
    type_aliases: dict[str, str] = field(default_factory=dict)
    grammar_calls: frozenset[str] = frozenset()

    def signatures(self, name: str) -> tuple[Signature, ...]:
        """The overloads of `name` as the dialect looks it up (case rules included); () if none."""
        found = self.functions.get(name)
        if found is None and (not self.case_sensitive or name.lower() in self.case_insensitive):
            found = self.functions.get(name.lower())
            if found is None and self.case_sensitive:  # e.g. ClickHouse's `toDate` called `TODATE`
                found = next(
                    (s for n, s in self.functions.items() if n.lower() == name.lower()),
                    None,
                )
        return found or ()

    def is_callable(self, name: str) -> bool:
        """A function, or a keyword or type name the grammar accepts in call position."""
        if self.signatures(name):
            return True
        lowered = name.lower()
        return lowered in self.grammar_calls or lowered in self.type_aliases

    def kind(self, name: str) -> Kind | None:
        """aggregate / window / normal when every overload agrees, else None."""
        kinds = {s.kind for s in self.signatures(name)}
        return kinds.pop() if len(kinds) == 1 else None

    # --- PostgreSQL's type system ---------------------------------------------------------------

    def type_name(self, written: str) -> str | None:
        """The pg_type name of a type as a catalog or a cast spells it ('numeric(12,2)' ->
        'numeric', 'integer[]' -> '_int4'); None when not a built-in type."""
        text = _TYPE_MODIFIERS.sub("", written.strip().lower()).strip()
        dims = 0
        while text.endswith("[]"):
            text, dims = text[:-2].strip(), dims + 1
        if text.startswith("_") and text in self.types:
            return text
        base = self.type_aliases.get(text) or (text if text in self.types else None)
        if base is None or dims == 0:
            return base
        array = f"_{base}"
        return array if array in self.types else None

    def category(self, type_name: str) -> str | None:
        info = self.types.get(type_name)
        return str(info["category"]) if info else None

    def coercible(self, source: str, target: str) -> bool:
        """Whether a value of `source` may be passed where `target` is expected without a cast
        written (PostgreSQL's implicit coercion: same type, unknown literal, pg_cast context 'i',
        domain to base, polymorphic parameters)."""
        if source in (target, UNKNOWN) or target in _POLYMORPHIC:
            return True
        if target in _ARRAY_POLYMORPHIC:
            return self.category(source) == "A"
        if target in _CATEGORY_POLYMORPHIC:
            return self.category(source) == _CATEGORY_POLYMORPHIC[target]
        if self.casts.get(source, {}).get(target) == "i":
            return True
        base = self.types.get(source, {}).get("base")
        return bool(base) and self.coercible(str(base), target)

    def castable(self, source: str, target: str) -> bool:
        """Whether CAST(source AS target) exists in any context (string types convert through
        their text form, as PostgreSQL's I/O conversion casts do)."""
        if source in (target, UNKNOWN) or self.coercible(source, target):
            return True
        if target in self.casts.get(source, {}):
            return True
        return self.category(source) == "S" or self.category(target) == "S"

    def is_polymorphic(self, type_name: str) -> bool:
        return (
            type_name in _POLYMORPHIC or type_name in _ARRAY_POLYMORPHIC or type_name in _CATEGORY_POLYMORPHIC
        )


def _signatures(entries: list[dict[str, Any]]) -> tuple[Signature, ...]:
    return tuple(
        Signature(
            kind=entry["kind"],
            args=tuple(entry["args"]) if "args" in entry else None,
            returns=entry.get("returns"),
            variadic=entry.get("variadic"),
            defaults=entry.get("defaults", 0),
            volatility=entry.get("volatility", "unknown"),
            side_effect=entry.get("side_effect", "unknown"),
            returns_set=entry.get("returns_set", False),
        )
        for entry in entries
    )


#: sqlglot dialect class (lower-case) -> catalogue file.
_FILES = {
    "postgres": "postgres",
    "clickhouse": "clickhouse",
    "spark": "spark",
    "spark2": "spark",
    "sqlite": "sqlite",
}


@functools.cache
def function_catalogue(dialect: str | None) -> FunctionCatalogue | None:
    """The catalogue of a sqlglot dialect, or None for a dialect without one (nothing is checked)."""
    if not dialect:
        return None
    name = _FILES.get(type(Dialect.get_or_raise(dialect)).__name__.lower())
    if name is None:
        return None
    blob = resources.files("airflow_ai_etl.validation.sql").joinpath("catalogues", f"{name}.json.gz")
    data = json.loads(gzip.decompress(blob.read_bytes()))
    return FunctionCatalogue(
        dialect=data["dialect"],
        engine=data["engine"],
        case_sensitive=data["case_sensitive"],
        functions={n: _signatures(entries) for n, entries in data["functions"].items()},
        session_functions=data.get("session_functions", False),
        case_insensitive=frozenset(data.get("case_insensitive_functions", ())),
        operators={n: tuple((o[0], o[1], o[2]) for o in ops) for n, ops in data.get("operators", {}).items()},
        casts=data.get("casts", {}),
        types=data.get("types", {}),
        type_aliases=data.get("type_aliases", {}),
        grammar_calls=frozenset(data.get("grammar_calls", ())),
    )
