"""A request read into its clauses (what, from where, where to, how, when, checked how), before
any table is resolved: the offline planner's first half, public for callers that need the intent
of a request without a plan (e.g. a cache keyed by intent rather than by wording).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from airflow_ai_etl.agents.offline.phrases import (
    AggregationPhrase,
    CheckPhrase,
    FilterPhrase,
    ModeWords,
    outside_destination,
    read_aggregation,
    read_checks,
    read_emails,
    read_filters,
    read_mode,
)
from airflow_ai_etl.agents.offline.schedule import ScheduleError, ScheduleMatch, parse_schedule
from airflow_ai_etl.agents.offline.tables import Mentions, PlanningError, TableReader, TargetPhrase
from airflow_ai_etl.agents.offline.text import RequestText
from airflow_ai_etl.catalog.models import SchemaCatalog


@dataclass
class RequestIntent:
    """Every clause the request's words were read into; `not_understood` is what was left."""

    text: str
    destination: str | None  # a URL, path or e-mail outside the connections (refused when planning)
    emails: list[str]
    filters: list[FilterPhrase]
    checks: list[CheckPhrase]
    aggregation: AggregationPhrase | None
    schedule: ScheduleMatch | None
    target: TargetPhrase
    mode: ModeWords
    mentions: Mentions
    not_understood: list[str] = field(default_factory=list)

    @property
    def tables(self) -> list[str]:
        """The tables named, as `conn:schema.table` (every candidate of an ambiguous word)."""
        return sorted({ref.label for refs in self.mentions.sources for ref in refs})


def read_intent(req: RequestText, reader: TableReader) -> RequestIntent:
    """Read the clauses in a fixed order (each claims its words, so none is read twice)."""
    destination = outside_destination(req)
    emails = read_emails(req)
    filters = read_filters(req)
    checks = read_checks(req)
    aggregation = read_aggregation(req, is_table=reader.is_table_word)
    try:
        schedule = parse_schedule(req)
    except ScheduleError as exc:
        raise PlanningError(f"schedule: {exc}") from None
    target = reader.read_target(req)
    mode = read_mode(req)
    mentions = reader.read_mentions(req)
    return RequestIntent(
        text=req.text,
        destination=destination,
        emails=emails,
        filters=filters,
        checks=checks,
        aggregation=aggregation,
        schedule=schedule,
        target=target,
        mode=mode,
        mentions=mentions,
        not_understood=req.leftover_phrases(),
    )


def parse_request(request: str, catalogs: Sequence[SchemaCatalog]) -> RequestIntent:
    """The request's clauses over `catalogs`; raises PlanningError for an unreadable clause."""
    return read_intent(RequestText(" ".join(request.split())), TableReader(catalogs))
