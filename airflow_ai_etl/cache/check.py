"""Whether an answer cached for request A would be served for request B, and why (`ai-etl cache check`).

It follows the cache's own rule for the first model call of a run, the planner's: the exact tier
needs the same words; the intent tier needs equal intents and the same schema part in the prompt
(the schema analyst's choice of tables, made from the request's words). Both need the same
catalogs, which one check always has. The model, the day and the dag_id are the same for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from airflow_ai_etl.cache.intent import read_intent
from airflow_ai_etl.catalog.models import SchemaCatalog


@dataclass(frozen=True)
class Verdict:
    hit: bool
    tier: str | None
    why: list[str] = field(default_factory=list)

    def to_text(self) -> str:
        head = f"hit ({self.tier} tier)" if self.hit else "miss"
        return "\n".join([head, *(f"  {line}" for line in self.why)])


def compare(request_a: str, request_b: str, catalogs: Sequence[SchemaCatalog]) -> Verdict:
    """Would the answer cached for `request_a` be served for `request_b`?"""
    if request_a == request_b:
        return Verdict(True, "exact", ["the requests are the same words: the exact keys are equal"])
    why = ["exact tier: the words differ, so the exact keys differ"]
    reading_a, reading_b = read_intent(request_a, catalogs), read_intent(request_b, catalogs)
    if reading_a.intent is None or reading_b.intent is None:
        for name, reading in (("A", reading_a), ("B", reading_b)):
            if reading.intent is None:
                why.append(f"intent tier: request {name} has no intent ({reading.reason})")
        return Verdict(False, None, why)
    differences = reading_a.intent.differences(reading_b.intent)
    if differences:
        why.append(f"intent tier: the intents differ in {len(differences)} field(s):")
        why += [f"  {line}" for line in differences]
        return Verdict(False, None, why)
    tables_a, tables_b = _prompt_tables(request_a, catalogs), _prompt_tables(request_b, catalogs)
    if tables_a != tables_b:
        why.append(
            "intent tier: the intents are equal, but the prompts show different tables "
            f"({', '.join(tables_a)} vs {', '.join(tables_b)})"
        )
        return Verdict(False, None, why)
    why.append(f"intent tier: the intents are equal (key {reading_a.intent.key[:16]}…) over the same tables")
    return Verdict(True, "intent", why)


def _prompt_tables(request: str, catalogs: Sequence[SchemaCatalog]) -> list[str]:
    """The tables the schema analyst puts into the planner's prompt for `request`, in prompt order."""
    from airflow_ai_etl.agents.schema_analyst import select_schema

    return [
        f"{c.conn_id}:{t.qualified_name}" for c in select_schema(request, catalogs).subset() for t in c.tables
    ]
