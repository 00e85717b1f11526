"""A request's intent: what it asks for, as the offline planner's parse reads it, for the intent tier.

The intent is the plan the offline planner makes of the request over the catalogs (tables,
columns, filters with their literal values, aggregates and groups, mode, key, watermark,
schedule, checks, notification) plus every word of the request the parse did not account for.
Two requests have the same intent only when all of that is equal: literals, numbers and names
are compared as written, never by similarity, and one unplaced word ("quickly", "42", "eu")
makes two intents differ. A request the planner cannot parse has no intent, so only the exact
tier can serve it.

The parse is the offline planner's, through `read_intent` alone: as its grammar grows, the
intent tier hits more often without a change here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow_ai_etl.catalog.models import SchemaCatalog

#: A fixed day to plan on: start_date is not part of the intent, and the plan must not vary by day.
_PLAN_DAY = dt.date(2000, 1, 1)

#: Spec fields that restate the request or the day rather than say what to do.
_NOT_INTENT = frozenset({"request", "description", "start_date"})

#: Words the planner passes over as filler that can still change what a model makes of a request
#: ("move" may mean "and delete the source", "some" a sample): their presence is part of the intent.
_MEANINGFUL_FILLER = frozenset({"move", "moves", "moving", "moved", "some", "just", "keep", "then"})
_WORD = re.compile(r"[A-Za-z]+")
#: How the planner notes a table or column it resolved by meaning rather than by spelling.
_LINKED_BY_MEANING = re.compile(r"\bby meaning\b|^link:", re.IGNORECASE)


@dataclass(frozen=True)
class Intent:
    """A request's intent as flat fields (`steps[1].source.sql` -> its JSON value), and its key."""

    fields: Mapping[str, str]

    @property
    def key(self) -> str:
        canonical = json.dumps(sorted(self.fields.items()), separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def differences(self, other: Intent) -> list[str]:
        """The fields whose values differ, with both values, in field order."""
        names = sorted(set(self.fields) | set(other.fields))
        return [
            f"{name}: {self.fields.get(name, '(none)')} vs {other.fields.get(name, '(none)')}"
            for name in names
            if self.fields.get(name) != other.fields.get(name)
        ]


@dataclass(frozen=True)
class IntentReading:
    """The intent of a request, or why it has none."""

    intent: Intent | None
    reason: str | None = None


def read_intent(request: str, catalogs: Sequence[SchemaCatalog], dag_id: str | None = None) -> IntentReading:
    """Parse `request` over `catalogs` into its intent (deterministic; no model)."""
    from airflow_ai_etl.agents.offline import plan_offline

    plan = plan_offline(request, catalogs, dag_id=dag_id, today=_PLAN_DAY)
    if not plan.ok or plan.spec is None:
        return IntentReading(None, f"the request could not be parsed: {plan.reason}")
    fuzzy = [note for note in plan.understood if _LINKED_BY_MEANING.search(note)]
    if fuzzy:  # two different words may link to one name: names are never fuzzed here
        return IntentReading(None, f"a name was read by similarity, not spelling ({fuzzy[0]})")
    data = plan.spec.model_dump(mode="json")
    fields = {
        path: json.dumps(value, sort_keys=True, ensure_ascii=False)
        for path, value in _flatten({k: v for k, v in data.items() if k not in _NOT_INTENT})
    }
    fields["unparsed words"] = json.dumps(plan.not_understood, ensure_ascii=False)
    said = {w.lower() for w in _WORD.findall(request)} & _MEANINGFUL_FILLER
    fields["meaningful filler"] = json.dumps(sorted(said))
    return IntentReading(Intent(fields))


def _flatten(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _flatten(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from _flatten(item, f"{path}[{index}]")
    else:
        yield path, value
