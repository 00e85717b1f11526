"""What a generation run reports while it works and when it ends: events, usage and the result.

All plain Pydantic models, JSON-serialisable, so that a draft can store them, the UI can stream
them, and a test can assert on them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from airflow_ai_etl.agents.verdicts import CriticVote
from airflow_ai_etl.spec import PipelineSpec
from airflow_ai_etl.validation.report import Report

Level = Literal["info", "warning", "error"]
#: A step's `start` event says what runs now; its `end` event (the default) what came of it.
Phase = Literal["start", "end"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Event(BaseModel):
    """One step of a generation run: which agent did what, how long it took, what it cost in tokens.

    Each agent step is announced by a `start` event as it begins, so a live view shows what runs
    now, and closed by an `end` event with the outcome (other events, e.g. warnings, are `end`s
    of their own). A run that stops inside a step leaves that step's start without an end.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    agent: str
    message: str
    duration_ms: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    at: dt.datetime = Field(default_factory=_now)
    level: Level = "info"
    phase: Phase = "end"
    data: dict[str, Any] = Field(default_factory=dict)


EventCallback = Callable[[Event], None]


class AgentUsage(BaseModel):
    """Model usage of one agent over a whole run; `cost_usd` is None when the price is not known.

    `cache_hits` counts the calls the LLM cache answered instead of the model, and the `saved_*`
    fields what those calls cost when they were made for real (unpriced ones add no cost)."""

    model_config = ConfigDict(extra="forbid")

    agent: str
    requests: int = 0
    failed_requests: int = Field(
        default=0, description="Requests that got no usable answer (errors, time-outs)."
    )
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    cache_hits: int = 0
    saved_input_tokens: int = 0
    saved_output_tokens: int = 0
    saved_cost_usd: float = 0.0


def total_spent(usage: Iterable[AgentUsage]) -> tuple[int, float | None]:
    """Tokens and cost of a run's usage; the cost is None when any agent's is unknown."""
    usage = list(usage)
    costs = [u.cost_usd for u in usage]
    tokens = sum(u.input_tokens + u.output_tokens for u in usage)
    return tokens, None if None in costs else sum(c for c in costs if c is not None)


class RepairRound(BaseModel):
    """One round of the loop as the report shows it: what was left, and who was asked to fix it."""

    model_config = ConfigDict(extra="forbid")

    round: int
    errors: int
    findings: list[str] = Field(description="Each error as `code at step.field: message`.")
    planner: int = Field(description="Findings sent to the planner.")
    sql: list[str] = Field(description="Statements (`step.field`) sent to the SQL expert.")


#: `planned_by` of a result the model planned.
PLANNED_BY_MODEL = "model"


class GenerationResult(BaseModel):
    """The outcome of turning one request into a pipeline, successful or not.

    A failed result still carries everything gathered so far (the last spec, its report, the
    events), so a person can see how far it got and why it stopped.
    """

    model_config = ConfigDict(extra="forbid")

    ok: bool
    spec: PipelineSpec | None = None
    report: Report = Field(default_factory=Report)
    source: str | None = None
    events: list[Event] = Field(default_factory=list)
    usage: list[AgentUsage] = Field(default_factory=list)
    reason: str | None = None
    rounds: int = 0
    repair_rounds: list[RepairRound] = Field(default_factory=list)
    planned_by: str = Field(
        default=PLANNED_BY_MODEL,
        description="'model', or 'offline (<why>)', e.g. 'offline (model unavailable: HTTP 503)'; an "
        "offline plan adapted from an approved pipeline adds ', adapted from approved pipeline <dag_id> "
        "(deployment N, approved by X)'.",
    )
    fallback: str | None = Field(
        default=None,
        description="Why the offline planner planned although a model was configured (it was unavailable).",
    )
    refusal: str | None = Field(
        default=None, description="The clause (or plan field) refused, and why; the result is then not ok."
    )
    not_understood: list[str] = Field(
        default_factory=list,
        description="Clauses of the request the plan does not carry out, in the request's words "
        "(also warnings `request.not_planned` in the report).",
    )
    critics: CriticVote | None = Field(
        default=None,
        description="The critics' verdicts on the valid draft (None: no critics ran); a vote below "
        "the agreement threshold flags the draft for review.",
    )
