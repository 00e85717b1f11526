"""No secret-looking text anywhere in a spec: refused with a finding naming the field."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from airflow_ai_etl.spec import PipelineSpec
from airflow_ai_etl.validation.secrets import secret_findings, secret_kind

MakeSpec = Callable[..., PipelineSpec]

_SQL_STEP = {"id": "load", "kind": "sql", "conn_id": "shop_pg", "sql": "INSERT INTO t SELECT 1"}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("copy from postgresql://admin:pw@db.internal/shop", "URL"),
        ("s3://AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI@bucket/x", "URL"),
        ("key AKIAIOSFODNN7EXAMPLE for the bucket", "cloud access key"),
        ("use sk-proj-abcdefghijklmnopqrstuvwx", "API token"),
        ("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "API token"),
        ("Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345", "API token"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nabc", "private key"),
        ("host=db user=etl password=hunter2!", "password"),
        ("WHERE api_key = 'live-123456'", "password or key"),
    ],
)
def test_secret_shapes_are_recognised(text: str, kind: str) -> None:
    assert kind in (secret_kind(text) or "")


@pytest.mark.parametrize(
    "text",
    [
        "Nightly load of new orders into the warehouse",
        "SELECT id, password_changed_at FROM users WHERE password = new_password",
        "https://docs.example.com/runbooks/orders",
        "s3://exports/orders/2026.csv",
        "data-eng@example.com",
    ],
)
def test_ordinary_text_passes(text: str) -> None:
    assert secret_kind(text) is None


def test_a_finding_names_the_step_and_field(make_spec: MakeSpec) -> None:
    step = {**_SQL_STEP, "description": "reads postgresql://admin:pw@host/db"}
    spec = make_spec(step, tags=["ai-etl", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"])

    found = {(f.step_id, f.field) for f in secret_findings(spec)}
    assert found == {("load", "description"), (None, "tags[1]")}
    assert all("hunter" not in f.message and "pw@" not in f.message for f in secret_findings(spec))
