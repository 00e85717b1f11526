"""Who wrote a spec decides what it may be granted: destructive grants come from people only.

A spec a person wrote (a file given to `validate`/`deploy`, an edit through the API or the page)
may carry `allow_destructive` grants. A spec produced by generation (a model, the offline planner,
a regenerated draft) may not: one that carries a grant, or whose SQL needs one, is refused, and
the refusal tells the repair loop that no grant will help.

Finding codes (errors):
- `spec.generated_grant` - a generated spec carries a destructive grant.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal

from airflow_ai_etl.spec.models import AnyStep, DestructiveGrant, PipelineSpec
from airflow_ai_etl.validation.report import Finding, Severity

Author = Literal["person", "generation"]

#: Findings whose hint would otherwise tell the author to add a grant.
GRANT_CODES = frozenset({"sql.destructive", "sql.cascade"})

_NO_GRANT_HINT = (
    "a generated pipeline is never granted destructive operations: plan it without them; if a "
    "person wants them, that person adds allow_destructive by editing the spec"
)


def step_grants(step: AnyStep) -> Iterator[tuple[str, Sequence[DestructiveGrant]]]:
    """(field, grants) of every field of a step that holds destructive grants, whatever its kind."""
    for name in type(step).model_fields:
        value = getattr(step, name)
        if isinstance(value, list) and value and all(isinstance(v, DestructiveGrant) for v in value):
            yield name, value


def new_grants(spec: PipelineSpec, previous: PipelineSpec | None) -> list[dict[str, str]]:
    """Grants `spec` holds that `previous` (the version it edits) did not: what a person confirms."""

    def grants_of(pipeline: PipelineSpec | None) -> list[dict[str, str]]:
        if pipeline is None:
            return []
        return [
            {"step": step.id, "field": field, "operation": grant.operation.value, "table": grant.table}
            for step in pipeline.steps
            for field, grants in step_grants(step)
            for grant in grants
        ]

    before = grants_of(previous)
    return [grant for grant in grants_of(spec) if grant not in before]


def generation_findings(spec: PipelineSpec, findings: Sequence[Finding]) -> list[Finding]:
    """`findings` for a generated spec: grant hints withdrawn, and every grant it carries refused."""
    reviewed = [
        f.model_copy(update={"hint": _NO_GRANT_HINT}) if f.code in GRANT_CODES else f for f in findings
    ]
    for step in spec.steps:
        for field, grants in step_grants(step):
            what = ", ".join(f"{g.operation.value} on {g.table}" for g in grants)
            reviewed.append(
                Finding(
                    severity=Severity.ERROR,
                    code="spec.generated_grant",
                    message=f"step {step.id} grants itself {what}, but grants come from people only: "
                    "a generated spec must not carry allow_destructive",
                    step_id=step.id,
                    field=field,
                    hint=_NO_GRANT_HINT,
                )
            )
    return reviewed
