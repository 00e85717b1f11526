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


_URL = r"(?:[a-z][a-z0-9+.-]*://|www\.)[^\s,;]+"
_PATH = r"(?:~|\.{1,2})?/(?:[\w.-]+/)*[\w.-]+"
_DESTINATION = re.compile(
    rf"\b(?:into|onto|to|at|in)\s+(?:the\s+)?(?:url|endpoint|file|folder|directory|path|address|bucket|inbox)?\s*"
    rf"(?P<dest>{_URL}|{_EMAIL}|{_PATH})",
    _I,
)
_NOTIFY_WORDS = re.compile(r"\b(?:alert|e-?mail|mail|notify|tell|ping|message|fail|failures?|errors?)\b", _I)


def outside_destination(req: RequestText) -> str | None:
    """A URL, file path or e-mail address the data is sent to (not a failure notification), claimed.

    The offline planner writes only into the named connections: such a destination is refused
    by name rather than dropped (which would load somewhere else than asked).
    """
    for match in req.finditer(_DESTINATION):
        before = req.text[max(0, match.start() - 40) : match.start()]
        if "@" in match.group("dest") and _NOTIFY_WORDS.search(before):
            continue  # "alert me at ops@example.com": a notification, read by read_emails
        req.claim(*match.span("dest"))
        return match.group("dest").rstrip(".")
    url = re.search(_URL, req.masked, _I)
    if url is None:
        return None
    req.claim(*url.span())
    return url.group().rstrip(".")


def read_emails(req: RequestText) -> list[str]:
    emails: list[str] = []
    for match in req.claim_all(_NOTIFY):
        emails += [e for e in re.findall(_EMAIL, match.group("emails")) if e not in emails]
    return emails


# --- filters ------------------------------------------------------------------------------------

#: Spoken operators -> SQL operators, longest first so "is not" wins over "is".
_OPERATORS = {
    "is on or after": ">=", "is on or before": "<=", "on or after": ">=", "on or before": "<=",
    "is after": ">", "is before": "<", "after": ">", "before": "<", "since": ">=",
    "is not equal to": "!=", "is equal to": "=", "equal to": "=", "isn't": "!=", "are not": "!=", "are": "=",
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
_WHERE = re.compile(
    r"\b(?P<negated>excluding|except|but\s+not|without)?\s*(?:those\s+|the\s+ones\s+|rows\s+|any\s+)?"
    r"(?:where|with|whose|having|that\s+have|which\s+have|that\s+has|which\s+has)\s+(?=\w)"
    r"|\b(?P<bare_negated>excluding|except)\s+(?=\w)",
    _I,
)
_DATE = r"\d{4}-\d{2}-\d{2}(?![\w-])"
_VALUE = rf"(?:'[^'\x00]*'|\"[^\"\x00]*\"|{_DATE}|{_NUMBER}(?![\w.-])|{_IDENT}(?:-{_IDENT})*)"
_CONDITION = re.compile(
    rf"(?P<col>{_IDENT})\s+(?:(?P<between>is\s+between|between)\s+(?P<low>{_VALUE})\s+and\s+(?P<high>{_VALUE})"
    rf"|(?P<missing>is\s+(?:missing|empty|null|unknown|not\s+set|blank))"
    rf"|(?P<present>is\s+(?:not\s+(?:missing|empty|null|blank)|set|present|known|filled))"
    rf"|(?P<op_in>(?:is\s+)?(?:not\s+)?(?:in|one\s+of))\s+\(?(?P<items>{_VALUE}(?:\s*(?:,|\bor\b|\band\b)\s*{_VALUE})+)\)?)"
    rf"|(?P<col2>{_IDENT})\s*(?P<op>{_OP})\s*(?P<val>{_VALUE})",
    _I,
)
_AND = re.compile(r"\s+and\s+", _I)
_NEGATE = {"=": "!=", "!=": "=", ">": "<=", ">=": "<", "<": ">=", "<=": ">", "in": "not in", "not in": "in"}


Scalar = str | int | float


@dataclass(frozen=True)
class FilterPhrase:
    column: str
    op: str  # SQL: = != > >= < <= in, not in
    value: Scalar | tuple[Scalar, ...] | None  # None: IS NULL / IS NOT NULL; a tuple for in / not in
    quoted: bool  # the value was quoted: always a string

    @property
    def words(self) -> str:
        if isinstance(self.value, tuple):
            return f"{self.column} {self.op} ({', '.join(map(str, self.value))})"
        shown = "NULL" if self.value is None else repr(self.value) if self.quoted else str(self.value)
        return f"{self.column} {self.op} {shown}"


def _scalar(raw: str) -> tuple[Scalar | None, bool]:
    """A value as said: quoted text, NULL, a number, or a bare word; and whether it was quoted."""
    if raw[0] in "'\"":
        return raw[1:-1], True
    if raw.lower() == "null":
        return None, False
    if re.fullmatch(_NUMBER, raw):
        return (float(raw) if "." in raw else int(raw)), False
    return raw, False


def _conditions(match: re.Match[str], negated: bool) -> list[FilterPhrase]:
    def made(column: str, op: str, value: Scalar | tuple[Scalar, ...] | None, quoted: bool) -> FilterPhrase:
        return FilterPhrase(column, _NEGATE[op] if negated else op, value, quoted)

    column = match.group("col")
    if match.group("between"):
        (low, low_quoted), (high, high_quoted) = _scalar(match.group("low")), _scalar(match.group("high"))
        if negated:  # outside the range is one OR, which a list of ANDed filters cannot say
            return []
        return [made(column, ">=", low, low_quoted), made(column, "<=", high, high_quoted)]
    if match.group("missing") or match.group("present"):
        return [made(column, "=" if match.group("missing") else "!=", None, False)]
    if match.group("op_in"):
        raw = re.findall(_VALUE, match.group("items"))
        said = [_scalar(v) for v in raw if v.lower() not in ("or", "and")]
        items = tuple(v for v, _ in said if v is not None)
        op = "not in" if "not" in match.group("op_in").lower().split() else "in"
        return [made(column, op, items, any(quoted for _, quoted in said))]
    op = _OPERATORS[" ".join(match.group("op").lower().split())]
    value, quoted = _scalar(match.group("val"))
    if value is None and op not in ("=", "!="):
        return []
    return [made(match.group("col2"), op, value, quoted)]


def read_filters(req: RequestText) -> list[FilterPhrase]:
    """`where|with|whose|having <condition> [and <condition>]...`, also negated (`excluding ...`).

    A condition is `<column> <op> <value>`, `<column> between <low> and <high>`, `<column> in (a, b)`
    or `<column> is missing|is set`. "only", said together with a filter, is what the filter does.
    """
    filters: list[FilterPhrase] = []
    for lead in list(req.finditer(_WHERE)):
        negated = bool(lead.group("negated") or lead.group("bare_negated"))
        condition = _CONDITION.match(req.masked, lead.end())
        read = _conditions(condition, negated) if condition else []
        if condition is None or not read:
            continue
        req.claim(lead.start(), condition.end())
        filters += read
        while (joint := _AND.match(req.masked, condition.end())) and (
            following := _CONDITION.match(req.masked, joint.end())
        ):
            more = _conditions(following, negated)
            if not more:
                break
            req.claim(joint.start(), following.end())
            filters += more
            condition = following
    if filters:
        req.claim_all(_ONLY)
    return filters


_ONLY = re.compile(r"\bonly\b", _I)


# --- quality checks -----------------------------------------------------------------------------

_MUST = r"(?:must|should|has\s+to|have\s+to|needs?\s+to|is\s+expected\s+to|are\s+expected\s+to)"
_MUST_NOT = r"(?:must|should|can|may|shall)\s*(?:not|never|n't)|(?:is|are)\s+never"


@dataclass(frozen=True)
class CheckPhrase:
    kind: Literal["unique", "not_null", "min", "row_count", "row_count_change", "freshness"]
    column: str | None = None  # the word said; None for table checks
    minimum: int | None = None  # row_count
    maximum: int | None = None  # row_count
    max_drop_pct: float | None = None
    max_growth_pct: float | None = None
    bound: tuple[Literal["greater_than", "geq_to"], float] | None = None  # min
    max_age_minutes: int | None = None  # freshness


#: "half", "a third", ... as percentages of a change in row count.
_FRACTIONS = {"half": 50.0, "a half": 50.0, "a third": 100 / 3, "a quarter": 25.0, "two thirds": 200 / 3}
_FRACTION = "|".join(r"\s+".join(f.split()) for f in _FRACTIONS)
_UNITS = {"minute": 1, "min": 1, "hour": 60, "hr": 60, "day": 1440}
#: What a quality clause may start with: "fail if", "alert me when", "or", "and".
CHECK_LEAD = re.compile(
    r"\b(?:(?:and\s+|then\s+)?(?:fail|alert|warn|error|stop|notify)(?:\s+(?:me|us|the\s+run|the\s+dag|the\s+load))?"
    r"\s+(?:if|when|whenever)|or|and)\s*(?=\x00)",
    _I,
)

_CHECKS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"\b(?:(?:alert|warn|fail|notify)(?:\s+me|\s+us)?\s+(?:if|when)\s+)?(?:the\s+)?"
            r"(?:row\s*count|number\s+of\s+rows|count)\s+"
            r"(?P<dir>drops|falls|decreases|shrinks|goes\s+down|grows|increases|rises|jumps|goes\s+up)\s+"
            rf"(?:by\s+)?(?:more\s+than\s+|over\s+|above\s+)?"
            rf"(?:(?P<pct>{_NUMBER})\s*(?:%|percent\b)|(?P<fraction>{_FRACTION})\b)",
            _I,
        ),
        "row_count_change",
    ),
    (
        re.compile(
            r"\b(?:(?:the\s+)?(?:data|table|rows?|it)\s+)?(?:must|should|has\s+to|needs?\s+to)\s+be\s+"
            r"(?:fresh(?:er)?\s+than|no\s+older\s+than|updated\s+within(?:\s+the\s+last)?|at\s+most)\s+"
            r"(?P<n>\d+)\s*(?P<unit>minutes?|mins?|hours?|hrs?|days?)(?:\s+old)?\b"
            r"|\bfreshness\s+(?:within|of|under|below)\s+"
            r"(?P<n2>\d+)\s*(?P<unit2>minutes?|mins?|hours?|hrs?|days?)\b",
            _I,
        ),
        "freshness",
    ),
    (
        re.compile(
            rf"\b(?P<col>{_IDENT})\s+(?:is|are)\s+not\s+unique\b|\b(?P<col2>{_IDENT})\s+has\s+duplicates\b",
            _I,
        ),
        "not_unique",
    ),
    (
        re.compile(rf"\b(?P<col>{_IDENT})\s+(?:is|are)\s+(?:null|empty|missing|blank)\b", _I),
        "is_null",
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
    if kind == "freshness":
        unit = (groups["unit"] or groups["unit2"]).lower().rstrip("s")
        minutes = int(groups["n"] or groups["n2"]) * _UNITS[unit]
        return CheckPhrase("freshness", max_age_minutes=minutes)
    if kind == "not_unique":
        return CheckPhrase("unique", groups["col"] or groups["col2"])
    if kind == "is_null":
        return CheckPhrase("not_null", groups["col"])
    if kind == "row_count_change":
        fraction = groups["fraction"]
        pct = _FRACTIONS[" ".join(fraction.lower().split())] if fraction else float(groups["pct"])
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
    if found:
        # "fail if X is not unique or the row count drops by half": the joints belong to the checks
        while req.claim_all(CHECK_LEAD):
            pass
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
