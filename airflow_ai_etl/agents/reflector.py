"""The reflector: validation findings -> a repair request for the agent that owns them.

Routing reads only the machine-readable part of a finding (code, step_id, field): a finding on a
step's SQL statement goes to the SQL expert for that statement; everything else (the spec's
shape, the graph, tables and columns named outside SQL, connections) goes to the planner, which
returns a whole corrected spec. It is deterministic on purpose: deciding who fixes what needs no
model, and a wrong route would only waste a round.

Progress is judged on the findings themselves (code, place and message), not on their codes:
going from two unknown columns to one is progress, as is trading one error for a different one.
The loop goes on while the findings shrink or change, and stops when a set of findings comes back
that an earlier round already had (the agents are going round in circles, and another round would
cost tokens for nothing) or after `max_rounds`. Every round is recorded for the report.

A valid draft the critics flag (agents/critics.py) goes back to the planner once, with the
critics' mismatches as findings (`critic.mismatch`): one more round, not a loop, since critics can
disagree with any draft.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from airflow_ai_etl.agents.events import RepairRound
from airflow_ai_etl.agents.sql_expert import SqlField, sql_fields
from airflow_ai_etl.agents.verdicts import CriticVote
from airflow_ai_etl.spec import PipelineSpec
from airflow_ai_etl.validation.report import Finding, Report, Severity

DEFAULT_MAX_ROUNDS = 3

FindingKey = tuple[str, str | None, str | None, str]


class SqlRepair(BaseModel):
    """Findings against one statement, for the SQL expert."""

    model_config = ConfigDict(extra="forbid")

    step_id: str
    field: str
    findings: list[Finding]


class RepairRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    planner: list[Finding] = Field(default_factory=list, description="Findings the planner must fix.")
    sql: list[SqlRepair] = Field(default_factory=list)


class Reflection(BaseModel):
    """Either a repair to make (another round), or why the loop stops."""

    model_config = ConfigDict(extra="forbid")

    repair: RepairRequest | None = None
    stop_reason: str | None = None


def _sql_field_of(finding: Finding, fields: list[SqlField]) -> SqlField | None:
    own = [f for f in fields if f.step_id == finding.step_id]
    for candidate in own:
        if finding.field is not None and (
            finding.field == candidate.field or finding.field.startswith(f"{candidate.field}.")
        ):
            return candidate
    # A SQL finding that names the step but not the field can only mean the step's one statement.
    if finding.field is None and finding.code.startswith("sql.") and len(own) == 1:
        return own[0]
    return None


def route(spec: PipelineSpec, findings: list[Finding]) -> RepairRequest:
    """Who fixes what: each finding goes to the SQL expert for its statement, or to the planner."""
    fields = sql_fields(spec)
    request = RepairRequest()
    by_field: dict[tuple[str, str], SqlRepair] = {}
    for finding in findings:
        target = _sql_field_of(finding, fields)
        if target is None:
            request.planner.append(finding)
            continue
        key = (target.step_id, target.field)
        if key not in by_field:
            by_field[key] = SqlRepair(step_id=target.step_id, field=target.field, findings=[])
            request.sql.append(by_field[key])
        by_field[key].findings.append(finding)
    return request


def _keys(findings: list[Finding]) -> frozenset[FindingKey]:
    return frozenset((f.code, f.step_id, f.field, f.message) for f in findings)


def _place(finding: Finding) -> str:
    where = ".".join(part for part in (finding.step_id, finding.field) if part)
    return f"{finding.code} at {where}: {finding.message}" if where else f"{finding.code}: {finding.message}"


class Reflector:
    """Decides, round after round, whether and how to repair; it remembers every earlier round."""

    def __init__(self, max_rounds: int = DEFAULT_MAX_ROUNDS) -> None:
        self.critic_rounds = 0
        self.max_rounds = max_rounds
        self.rounds = 0
        self.history: list[RepairRound] = []
        self._seen: list[frozenset[FindingKey]] = []

    def reflect(self, spec: PipelineSpec, report: Report) -> Reflection:
        errors = report.errors
        if not errors:
            return Reflection(stop_reason="no errors left")
        keys = _keys(errors)
        if keys in self._seen:
            codes = ", ".join(sorted({f.code for f in errors}))
            back = self._seen.index(keys)
            when = "before the first repair" if back == 0 else f"after round {back}"
            return Reflection(
                stop_reason=f"the repair brought back the same findings as {when} ({codes}): not converging"
            )
        if self.rounds >= self.max_rounds:
            return Reflection(
                stop_reason=f"{len(errors)} error(s) left after {self.rounds} repair round(s) (the limit)"
            )
        self._seen.append(keys)
        self.rounds += 1
        repair = route(spec, errors)
        self.history.append(
            RepairRound(
                round=self.rounds,
                errors=len(errors),
                findings=[_place(f) for f in errors],
                planner=len(repair.planner),
                sql=[f"{r.step_id}.{r.field}" for r in repair.sql],
            )
        )
        return Reflection(repair=repair)

    def critic_round(self, vote: CriticVote) -> list[Finding]:
        """The critics' mismatches for the planner when a flagged vote earns the one critic round;
        [] when the vote passed, named no mismatch, or the round was already had."""
        mismatches = vote.mismatches
        if not vote.flagged or not mismatches or self.critic_rounds:
            return []
        self.critic_rounds += 1
        return [
            Finding(
                severity=Severity.WARNING,
                code="critic.mismatch",
                message=f"the draft does not do what the request asks: {m}",
            )
            for m in mismatches
        ]
