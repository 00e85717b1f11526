"""Grants come from people: a generated spec that carries or needs a grant is refused."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from airflow_ai_etl.spec import PipelineSpec
from airflow_ai_etl.validation import ValidationContext, validate_spec

MakeSpec = Callable[..., PipelineSpec]

_DELETE = {
    "id": "purge",
    "kind": "sql",
    "conn_id": "shop_pg",
    "sql": "DELETE FROM orders WHERE true",
    "allow_destructive": [{"operation": "delete", "table": "orders"}],
}


def test_a_persons_grant_is_honoured(make_spec: MakeSpec, context: ValidationContext) -> None:
    assert validate_spec(make_spec(_DELETE), context).ok


def test_a_generated_grant_is_refused_naming_the_step(
    make_spec: MakeSpec, context: ValidationContext
) -> None:
    report = validate_spec(make_spec(_DELETE), replace(context, author="generation"))

    [refusal] = report.errors
    assert (refusal.code, refusal.step_id, refusal.field) == (
        "spec.generated_grant",
        "purge",
        "allow_destructive",
    )
    assert "people" in refusal.message


def test_a_generated_spec_that_needs_a_grant_is_not_told_to_add_one(
    make_spec: MakeSpec, context: ValidationContext
) -> None:
    ungranted = {key: value for key, value in _DELETE.items() if key != "allow_destructive"}
    report = validate_spec(make_spec(ungranted), replace(context, author="generation"))

    [refusal] = report.errors
    assert (refusal.code, refusal.step_id) == ("sql.destructive", "purge")
    assert "allow_destructive: [" not in (refusal.hint or "")
    assert "never granted" in (refusal.hint or "")
