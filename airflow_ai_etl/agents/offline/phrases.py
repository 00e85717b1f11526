"""Reading the intent phrases of a request: notification, filters, checks, aggregation, mode.

Each reader claims its phrase in the RequestText and returns the words as said; matching those
words to real columns is the planner's job, once it knows the tables.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from airflow_ai_etl.agents.offline.text import RequestText

_I = re.IGNORECASE
_IDENT = r"[A-Za-z_]\w*"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_NUMBER = r"-?\d+(?:\.\d+)?"


# --- notification -------------------------------------------------------------------------------

_NOTIFY = re.compile(
    rf"(?:\b(?:alert|email|e-mail|mail|notify|tell|ping|message)\s+(?:me\s+|us\s+)?(?:at\s+|to\s+|on\s+|via\s+)?)?"
    rf"(?P<emails>{_EMAIL}(?:\s*(?:,|and)\s*{_EMAIL})*)"
    r"(?:\s+(?:on|if|when|in\s+case\s+of)\s+(?:it\s+)?(?:fails?|failures?|errors?))?",
    _I,
)


def read_emails(req: RequestText) -> list[str]:
    emails: list[str] = []
    for match in req.claim_all(_NOTIFY):
        emails += [e for e in re.findall(_EMAIL, match.group("emails")) if e not in emails]
    return emails


# --- filters ------------------------------------------------------------------------------------

#: Spoken operators -> SQL operators, longest first so "is not" wins over "is".
_OPERATORS = {
    "is greater than or equal to": ">=", "is less than or equal to": "<=",
    "is greater than": ">", "is more than": ">", "is less than": "<", "is at least": ">=",
    "is at most": "<=", "is above": ">", "is below": "<", "greater than": ">", "more than": ">",
    "less than": "<", "at least": ">=", "at most": "<=", "is not": "!=", "equals": "=", "is": "=",
    "above": ">", "below": "<", "over": ">", "under": "<",
    ">=": ">=", "<=": "<=", "!=": "!=", "<>": "!=", "==": "=", "=": "=", ">": ">", "<": "<",
}  # fmt: skip
_OP = "|".join(
    r"\s+".join(re.escape(w) for w in op.split()) for op in sorted(_OPERATORS, key=len, reverse=True)
)
_WHERE = re.compile(r"\b(?:where|with|whose)\s+(?=\w)", _I)
_CONDITION = re.compile(
    rf"(?P<col>{_IDENT})\s*(?P<op>{_OP})\s*"
    rf"(?P<val>'[^'\x00]*'|\"[^\"\x00]*\"|{_NUMBER}(?![\w.])|{_IDENT}(?:-{_IDENT})*)",
    _I,
)
_AND = re.compile(r"\s+and\s+", _I)


@dataclass(frozen=True)
class FilterPhrase:
    column: str
    op: str  # SQL: = != > >= < <=
    value: str | float | None  # None: IS NULL / IS NOT NULL
    quoted: bool  # the value was quoted: always a string

    @property
    def words(self) -> str:
        shown = "NULL" if self.value is None else repr(self.value) if self.quoted else str(self.value)
        return f"{self.column} {self.op} {shown}"


def _condition(match: re.Match[str]) -> FilterPhrase:
    op = _OPERATORS[" ".join(match.group("op").lower().split())]
    raw = match.group("val")
    if raw[0] in "'\"":
        return FilterPhrase(match.group("col"), op, raw[1:-1], True)
    if raw.lower() == "null" and op in ("=", "!="):
        return FilterPhrase(match.group("col"), op, None, False)
    if re.fullmatch(_NUMBER, raw):
        return FilterPhrase(match.group("col"), op, float(raw) if "." in raw else int(raw), False)
    return FilterPhrase(match.group("col"), op, raw, False)


def read_filters(req: RequestText) -> list[FilterPhrase]:
    """`where <column> <op> <value> [and <column> <op> <value>]...` (also `with`/`whose`)."""
    filters: list[FilterPhrase] = []
    for lead in list(req.finditer(_WHERE)):
        condition = _CONDITION.match(req.masked, lead.end())
        if condition is None:
            continue
        req.claim(lead.start(), condition.end())
        filters.append(_condition(condition))
        while (joint := _AND.match(req.masked, condition.end())) and (
            following := _CONDITION.match(req.masked, joint.end())
        ):
            req.claim(joint.start(), following.end())
            filters.append(_condition(following))
            condition = following
    return filters


# --- quality checks -----------------------------------------------------------------------------

_MUST = r"(?:must|should|has\s+to|have\s+to|needs?\s+to|is\s+expected\s+to|are\s+expected\s+to)"
_MUST_NOT = r"(?:must|should|can|may|shall)\s*(?:not|never|n't)|(?:is|are)\s+never"


@dataclass(frozen=True)
class CheckPhrase:
    kind: Literal["unique", "not_null", "min", "row_count", "row_count_change"]
    column: str | None = None  # the word said; None for table checks
    minimum: int | None = None  # row_count
    maximum: int | None = None  # row_count
    max_drop_pct: float | None = None
    max_growth_pct: float | None = None
    bound: tuple[Literal["greater_than", "geq_to"], float] | None = None  # min


_CHECKS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"\b(?:alert|warn|fail|notify)(?:\s+me|\s+us)?\s+(?:if|when)\s+(?:the\s+)?"
            r"(?:row\s*count|number\s+of\s+rows|count)\s+"
            r"(?P<dir>drops|falls|decreases|shrinks|goes\s+down|grows|increases|rises|jumps|goes\s+up)\s+"
            rf"(?:by\s+)?(?:more\s+than\s+|over\s+|above\s+)?(?P<pct>{_NUMBER})\s*(?:%|percent\b)",
            _I,
        ),
        "row_count_change",
    ),
    (
        re.compile(
            r"\b(?:(?:alert|warn|fail|notify)(?:\s+me|\s+us)?\s+(?:if|when)\s+(?:there\s+are\s+)?(?:fewer|less)\s+than"
            r"|at\s+least|no\s+fewer\s+than|no\s+less\s+than|a\s+minimum\s+of)\s+(?P<n>\d+)\s+rows?\b",
            _I,
        ),
        "row_count_min",
    ),
    (
        re.compile(r"\b(?:at\s+most|no\s+more\s+than|a\s+maximum\s+of)\s+(?P<n>\d+)\s+rows?\b", _I),
        "row_count_max",
    ),
    (re.compile(rf"\b(?P<col>{_IDENT})\s+{_MUST}\s+be\s+unique\b", _I), "unique"),
    (re.compile(rf"\bno\s+duplicated?\s+(?P<col>{_IDENT})\b", _I), "unique"),
    (
        re.compile(rf"\b(?P<col>{_IDENT})\s+(?:{_MUST_NOT})\s+be\s+(?:null|empty|missing|blank)\b", _I),
        "not_null",
    ),
    (
        re.compile(
            rf"\b(?P<col>{_IDENT})\s+(?:{_MUST}\s+(?:always\s+)?be\s+(?:set|present|filled|non-?null|not\s+null)"
            r"|(?:is|are)\s+never\s+(?:null|empty|missing|blank)|(?:is|are)\s+required)\b",
            _I,
        ),
        "not_null",
    ),
    (re.compile(rf"\bno\s+(?:null|empty|missing)\s+(?P<col>{_IDENT})\b", _I), "not_null"),
    (
        re.compile(
            rf"\b(?P<col>{_IDENT})\s+(?:{_MUST}\s+be\s+(?P<word>positive|non-?negative)"
            rf"|(?:{_MUST_NOT})\s+be\s+(?P<neg>negative)"
            rf"|{_MUST}\s+be\s+(?P<op>greater\s+than|more\s+than|above|at\s+least|>=|>)\s*(?P<n>{_NUMBER}))(?![\w.])",
            _I,
        ),
        "min",
    ),
]


_DROPS = frozenset({"drops", "falls", "decreases", "shrinks", "goes down"})


def _check(match: re.Match[str], kind: str) -> CheckPhrase:
    groups = match.groupdict()
    if kind == "row_count_change":
        pct = float(groups["pct"])
        if " ".join(groups["dir"].lower().split()) in _DROPS:
            return CheckPhrase("row_count_change", max_drop_pct=pct)
        return CheckPhrase("row_count_change", max_growth_pct=pct)
    if kind == "row_count_min":
        return CheckPhrase("row_count", minimum=int(groups["n"]))
    if kind == "row_count_max":
        return CheckPhrase("row_count", maximum=int(groups["n"]))
    if kind == "min":
        if groups["word"] and groups["word"].lower() == "positive":
            return CheckPhrase("min", groups["col"], bound=("greater_than", 0))
        if groups["word"] or groups["neg"]:
            return CheckPhrase("min", groups["col"], bound=("geq_to", 0))
        op = " ".join(groups["op"].lower().split())
        strict = op in ("greater than", "more than", "above", ">")
        return CheckPhrase(
            "min", groups["col"], bound=("greater_than" if strict else "geq_to", float(groups["n"]))
        )
    return CheckPhrase("unique" if kind == "unique" else "not_null", groups["col"])


def read_checks(req: RequestText) -> list[CheckPhrase]:
    """Quality rules in request order."""
    found: list[tuple[int, CheckPhrase]] = []
    for pattern, kind in _CHECKS:
        for match in req.claim_all(pattern):
            found.append((match.start(), _check(match, kind)))
    return [check for _, check in sorted(found, key=lambda item: item[0])]


# --- aggregation --------------------------------------------------------------------------------

_GRAINS = {"hourly": "hour", "daily": "day", "weekly": "week", "monthly": "month", "yearly": "year"}
GRAIN_WORDS = frozenset({"hour", "day", "date", "week", "month", "year"})
_FUNCTIONS = {
    "count distinct": "count_distinct", "count of distinct": "count_distinct",
    "number of distinct": "count_distinct", "number of unique": "count_distinct",
    "distinct count of": "count_distinct", "unique count of": "count_distinct",
    "total": "sum", "sum": "sum", "sum of": "sum", "average": "avg", "avg": "avg", "mean": "avg",
    "count": "count", "count of": "count", "number of": "count", "max": "max", "maximum": "max",
    "highest": "max", "largest": "max", "min": "min", "minimum": "min", "lowest": "min", "smallest": "min",
}  # fmt: skip
_FN = "|".join(r"\s+".join(w.split()) for w in sorted(_FUNCTIONS, key=len, reverse=True))
_GROUP_LEAD = r"(?:per|by|for\s+each|for\s+every|grouped\s+by|broken\s+down\s+by|each)"
_AGGREGATION = re.compile(
    rf"\b(?:(?P<grain>{'|'.join(_GRAINS)})\s+)?(?P<fn>{_FN})\s+(?:the\s+)?(?:of\s+)?"
    rf"(?:(?!{_GROUP_LEAD}\b)(?P<measure>{_IDENT}))?"
    rf"(?:\s*(?:{_GROUP_LEAD})\s+"
    rf"(?P<groups>{_IDENT}(?:\s*(?:,|and|per)\s*{_IDENT})*))?",
    _I,
)


@dataclass(frozen=True)
class AggregationPhrase:
    function: Literal["sum", "avg", "count", "count_distinct", "min", "max"]
    measure: str | None  # a column word, a table's name, or None ("daily total per customer")
    groups: list[str] = field(default_factory=list)
    grain: str | None = None  # hour, day, week, month, year


def read_aggregation(req: RequestText, is_table: Callable[[str], bool]) -> AggregationPhrase | None:
    """`[daily] total [<measure>] per <group>[, <group>]...` — the first one in the request.

    A measure word that names a table (`total payments`, `number of orders`) is left unclaimed: it
    is also the request's mention of its source table.
    """
    for match in req.finditer(_AGGREGATION):
        grain = _GRAINS.get((match.group("grain") or "").lower())
        groups: list[str] = []
        for word in re.split(r"\s*(?:,|\band\b|\bper\b)\s*", match.group("groups") or ""):
            if not word:
                continue
            if word.lower() in GRAIN_WORDS:
                grain = "day" if word.lower() == "date" else word.lower()
            else:
                groups.append(word)
        if grain is None and not groups:
            continue  # "total amount" alone is no aggregation the planner can place
        function = _FUNCTIONS[" ".join(match.group("fn").lower().split())]
        measure = match.group("measure")
        if measure is None or is_table(measure):
            req.claim(match.start(), match.start("measure") if measure else match.end("fn"))
            if measure is None:
                req.claim(match.end("fn"), match.end())
            else:
                req.claim(match.end("measure"), match.end())
        else:
            req.claim(*match.span())
        return AggregationPhrase(function, measure, groups, grain)  # type: ignore[arg-type]
    return None


# --- load mode ----------------------------------------------------------------------------------

_INCREMENTAL = re.compile(
    r"\b(?:(?:only\s+)?(?:the\s+)?new(?:\s+(?:and|or)\s+(?:changed|updated|modified))?"
    r"|incremental(?:ly)?|changes?\s+since(?:\s+(?:the\s+)?last\s+(?:run|load|time))?"
    r"|(?:changed|updated|modified)(?=\s+\w)|since\s+(?:the\s+)?last\s+(?:run|load|time)|delta)\b",
    _I,
)
_UPSERT = re.compile(
    r"\b(?:sync(?:hroni[sz]e)?|synced|upsert(?:ed)?|merge|dedupe|de-?duplicate|in\s+sync|up\s+to\s+date)\b",
    _I,
)
_REPLACE = re.compile(
    r"\b(?:full(?:\s+(?:copy|load|refresh|reload|snapshot))?|replace|overwrite|snapshot|refresh)\b", _I
)
_APPEND = re.compile(r"\bappend(?:ing|ed)?\b", _I)
_WATERMARK = re.compile(
    rf"\b(?:using\s+(?P<a>{_IDENT})\s+as\s+(?:the\s+)?watermark|(?:watermark|based\s+on|tracked\s+by)\s+(?P<b>{_IDENT}))\b",
    _I,
)
KEY_PHRASE = re.compile(
    rf"\b(?:(?P<explicit>keyed\s+(?:by|on)|with\s+(?:the\s+)?key|key)|by|on|using)\s+"
    rf"(?P<cols>{_IDENT}(?:\s*(?:,|and)\s*{_IDENT})*)(?P<as_key>\s+as\s+(?:the\s+)?key)?",
    _I,
)


@dataclass(frozen=True)
class ModeWords:
    incremental: bool
    upsert: bool
    replace: bool
    append: bool
    watermark: str | None

    @property
    def said(self) -> list[str]:
        """The modes the request names, in a fixed order."""
        flags = {
            "incremental": self.incremental,
            "upsert": self.upsert,
            "replace": self.replace,
            "append": self.append,
        }
        return [name for name, flag in flags.items() if flag]


def read_mode(req: RequestText) -> ModeWords:
    watermark = next(iter(req.claim_all(_WATERMARK)), None)
    return ModeWords(
        incremental=bool(req.claim_all(_INCREMENTAL)),
        upsert=bool(req.claim_all(_UPSERT)),
        replace=bool(req.claim_all(_REPLACE)),
        append=bool(req.claim_all(_APPEND)),
        watermark=(watermark.group("a") or watermark.group("b")) if watermark else None,
    )
