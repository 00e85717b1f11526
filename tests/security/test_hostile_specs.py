"""The hostile-spec suite, in-process: every attack class planted into every field of every step
kind where it can appear. Reads as the security specification of issue #9:

- SQL may read the connection's data, never act on the server (functions, catalogs, table functions);
- grants come from people and cover exactly what they name;
- no secret-looking text in any field; e-mail fields take e-mail addresses;
- inputs are bounded.

Each case asserts a refusal that names the step and field, and that deploying the spec writes
nothing into the dags folder. tests/security/test_hostile_integration.py runs a few cases of each
class through the real CLI and API against real databases.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from airflow_ai_etl.deploy import DeployError, deploy_spec
from airflow_ai_etl.spec import SpecError, loads_spec
from airflow_ai_etl.validation import ValidationContext, validate_document
from tests.security.attacks import (
    CLICKHOUSE_CATALOGS,
    CLICKHOUSE_EXTERNAL,
    CLICKHOUSE_SQL_FIELDS,
    CREDENTIAL_RELATIONS,
    POSTGRES_SQL_FIELDS,
    SECRETS,
    SERVER_FUNCTIONS,
    SqlField,
    pipeline,
)


def assert_refused(
    data: dict[str, Any], context: ValidationContext, step_id: str | None, field: str, dags: Path
) -> None:
    """Refused with an error naming `step_id` and `field`, and nothing reaches the dags folder."""
    spec, report = validate_document(data, context=context)
    named = [f for f in report.errors if f.step_id == step_id and (f.field or "").startswith(field)]
    assert named, f"no error names {step_id}.{field}:\n{report.to_text()}"
    if spec is not None:
        with pytest.raises(DeployError):
            deploy_spec(spec, dags_folder=dags, context=context)
    assert not any(dags.iterdir()), "something reached the dags folder"


def _cases(fields: list[SqlField], expressions: list[str], relations: list[str]) -> list[Any]:
    cases = []
    for field in fields:
        cases += [
            pytest.param(field, field.expression.format(expr=e), id=f"{field.name}: {e}") for e in expressions
        ]
        if field.relation is not None:
            cases += [
                pytest.param(field, field.relation.format(rel=r), id=f"{field.name}: {r}") for r in relations
            ]
    return cases


_SERVER = [e for instances in SERVER_FUNCTIONS.values() for e in instances]


# --- reads touch data, not the server --------------------------------------------------------------


@pytest.mark.parametrize(("field", "sql"), _cases(POSTGRES_SQL_FIELDS, _SERVER, CREDENTIAL_RELATIONS))
def test_postgres_sql_cannot_reach_the_server(
    field: SqlField, sql: str, context: ValidationContext, tmp_path: Path
) -> None:
    assert_refused(pipeline(field.plant(sql)), context, field.step["id"], field.field, tmp_path)


@pytest.mark.parametrize(
    ("field", "sql"),
    _cases(CLICKHOUSE_SQL_FIELDS, ["sleep(3)", "getSetting('max_memory_usage')"], CLICKHOUSE_CATALOGS)
    + [
        pytest.param(field, f"SELECT * FROM {function}", id=f"{field.name}: {function}")
        for field in CLICKHOUSE_SQL_FIELDS
        for function in CLICKHOUSE_EXTERNAL
    ],
)
def test_clickhouse_sql_cannot_reach_outside(
    field: SqlField, sql: str, context: ValidationContext, tmp_path: Path
) -> None:
    assert_refused(pipeline(field.plant(sql)), context, field.step["id"], field.field, tmp_path)


@pytest.mark.parametrize(
    "expr", ["reflect('java.lang.Runtime', 'getRuntime')", "java_method('java.lang.System', 'exit', 0)"]
)
def test_spark_sql_cannot_call_into_the_jvm(expr: str, context: ValidationContext, tmp_path: Path) -> None:
    spark = POSTGRES_SQL_FIELDS[-1]
    assert_refused(
        pipeline(spark.plant(spark.expression.format(expr=expr))), context, "crunch", "sql", tmp_path
    )


# --- grants come from people, and are exact ------------------------------------------------------

_PURGE = {
    "id": "purge",
    "kind": "sql",
    "conn_id": "shop_pg",
    "sql": "DELETE FROM shop.purchases WHERE true",
    "allow_destructive": [{"operation": "delete", "table": "shop.purchases"}],
}


@pytest.mark.parametrize(
    "step",
    [
        pytest.param(_PURGE, id="carries a grant"),
        pytest.param({k: v for k, v in _PURGE.items() if k != "allow_destructive"}, id="needs a grant"),
    ],
)
def test_generation_never_gets_a_grant(
    step: dict[str, Any], context: ValidationContext, tmp_path: Path
) -> None:
    generated = replace(context, author="generation")
    _, report = validate_document(pipeline(step), context=generated)
    assert any(f.step_id == "purge" for f in report.errors), report.to_text()
    assert not any("allow_destructive: [" in (f.hint or "") for f in report.findings)


def _sql_step(sql: str, *grants: tuple[str, str]) -> dict[str, Any]:
    step: dict[str, Any] = {"id": "change", "kind": "sql", "conn_id": "shop_pg", "sql": sql}
    if grants:
        step["allow_destructive"] = [{"operation": o, "table": t} for o, t in grants]
    return step


@pytest.mark.parametrize(
    "step",
    [
        pytest.param(
            _sql_step("TRUNCATE shop.clients CASCADE", ("truncate", "shop.clients")), id="truncate cascade"
        ),
        pytest.param(
            _sql_step("DROP TABLE shop.clients CASCADE", ("drop", "shop.clients")), id="drop cascade"
        ),
        pytest.param(
            _sql_step(
                "DROP TABLE shop.clients CASCADE", ("drop", "shop.clients"), ("drop", "shop.purchases")
            ),
            id="drop cascade, one level granted",
        ),
        pytest.param(_sql_step("CREATE OR REPLACE VIEW shop.clients AS SELECT 1 AS id"), id="replace view"),
        pytest.param(
            _sql_step("CREATE TABLE shop.purchases AS SELECT id FROM orders"), id="CTAS over a table"
        ),
        pytest.param(
            _sql_step(
                "MERGE INTO shop.clients c USING orders o ON c.id = o.id WHEN MATCHED THEN DELETE",
                ("delete", "shop.clients"),
            ),
            id="merge delete with a delete grant",
        ),
        pytest.param(
            _sql_step("DELETE FROM shop.clients", ("truncate", "shop.clients")),
            id="grant of another operation",
        ),
        pytest.param(
            _sql_step("DELETE FROM shop.clients", ("delete", "shop.purchases")), id="grant on another table"
        ),
        pytest.param(
            _sql_step(
                "DELETE FROM shop.clients WHERE length(pg_read_file('/etc/passwd')) > 0",
                ("delete", "shop.clients"),
            ),
            id="granted delete reads a server file",
        ),
        pytest.param(
            _sql_step(
                "DELETE FROM shop.clients WHERE id IN (SELECT a FROM dblink('h', 'q') AS t(a int))",
                ("delete", "shop.clients"),
            ),
            id="granted delete calls dblink",
        ),
    ],
)
def test_a_grant_covers_exactly_what_it_names(
    step: dict[str, Any], context: ValidationContext, tmp_path: Path
) -> None:
    assert_refused(pipeline(step), context, "change", "sql", tmp_path)


def test_spark_insert_overwrite_needs_a_grant_it_cannot_have(
    context: ValidationContext, tmp_path: Path
) -> None:
    step = {
        "id": "crunch",
        "kind": "spark_sql",
        "conn_id": "spark",
        "sql": "INSERT OVERWRITE TABLE lake.orders SELECT id, status FROM lake.orders",
    }
    assert_refused(pipeline(step), context, "crunch", "sql", tmp_path)


# --- no secrets anywhere ---------------------------------------------------------------------------

#: One minimal step of every kind, to plant text into its description.
_EVERY_KIND = [
    {
        "id": "k_sql",
        "kind": "sql",
        "conn_id": "shop_pg",
        "sql": "INSERT INTO shop.orders_copy (id) SELECT id FROM orders",
    },
    {
        "id": "k_transfer",
        "kind": "transfer",
        "source": {"conn_id": "shop_pg", "table": "orders"},
        "target": {"conn_id": "dwh_pg", "table": "analytics.orders"},
    },
    {
        "id": "k_quality",
        "kind": "quality_check",
        "conn_id": "shop_pg",
        "table": "orders",
        "checks": [{"column": "id", "check": "unique"}],
    },
    {
        "id": "k_load",
        "kind": "file_load",
        "path": "/tmp/in.csv",
        "format": "csv",
        "target": {"conn_id": "dwh_pg", "table": "analytics.orders"},
    },
    {
        "id": "k_export",
        "kind": "file_export",
        "source": {"conn_id": "shop_pg", "table": "orders"},
        "path": "/tmp/out.csv",
        "format": "csv",
    },
    {
        "id": "k_kafka",
        "kind": "kafka_ingest",
        "kafka_conn_id": "events_kafka",
        "topic": "events",
        "target": {"conn_id": "dwh_pg", "table": "analytics.orders"},
    },
    {
        "id": "k_spark",
        "kind": "spark_sql",
        "conn_id": "spark",
        "sql": "SELECT id FROM lake.orders",
        "target_table": "lake.out",
    },
]


def _secret_cases() -> list[Any]:
    cases = []
    for kind, secret in SECRETS.items():
        text = f"loads nightly; {secret}"
        for field in ("description", "request", "owner"):
            cases.append(
                pytest.param(
                    pipeline(_EVERY_KIND[0], **{field: text[:100]}), None, field, id=f"{kind} in {field}"
                )
            )
        cases.append(
            pytest.param(
                pipeline(_EVERY_KIND[0], tags=["ai-etl", text[:100]]), None, "tags[1]", id=f"{kind} in a tag"
            )
        )
        for step in _EVERY_KIND:
            cases.append(
                pytest.param(
                    pipeline({**step, "description": text}),
                    step["id"],
                    "description",
                    id=f"{kind} in {step['kind']} description",
                )
            )
        literal = {
            **_EVERY_KIND[1],
            "source": {"conn_id": "shop_pg", "sql": f"SELECT id, '{secret}' AS status FROM orders"},
        }
        cases.append(
            pytest.param(pipeline(literal), "k_transfer", "source.sql", id=f"{kind} in a SQL literal")
        )
    kafka = {
        **_EVERY_KIND[5],
        "format": "avro",
        "avro_schema": {"type": "record", "name": "e", "doc": SECRETS["API key"], "fields": []},
    }
    cases.append(pytest.param(pipeline(kafka), "k_kafka", "avro_schema", id="API key in an Avro schema"))
    export = {**_EVERY_KIND[4], "path": "s3://AKIAIOSFODNN7EXAMPLE:secret@bucket/out.csv"}
    cases.append(pytest.param(pipeline(export), "k_export", "path", id="credentials in an S3 path"))
    return cases


@pytest.mark.parametrize(("data", "step_id", "field"), _secret_cases())
def test_secret_looking_text_is_refused_naming_the_field(
    data: dict[str, Any], step_id: str | None, field: str, context: ValidationContext, tmp_path: Path
) -> None:
    assert_refused(data, context, step_id, field, tmp_path)
    _, report = validate_document(data, context=context)
    assert not any(s in f.message for f in report.findings for s in SECRETS.values()), (
        "a message quotes the secret"
    )


@pytest.mark.parametrize(
    "address",
    [
        "https://evil.example/hook?x=@a.b",
        "http://user@evil.example",
        "ops@example.com\nBcc: all@example.com",
        "Ops <ops@example.com>",
        "ops@localhost",
    ],
)
def test_email_fields_take_email_addresses_only(
    address: str, context: ValidationContext, tmp_path: Path
) -> None:
    data = pipeline(_EVERY_KIND[0], on_failure={"notify": "email", "to": [address]})
    assert_refused(data, context, None, "on_failure.to", tmp_path)


# --- bounded inputs --------------------------------------------------------------------------------


def _bomb(levels: int = 9) -> str:
    """Nine aliases of nine aliases of ...: a few lines that stand for 9**9 values."""
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "".join(f"        {line}\n" for line in lines)


_KAFKA_AVRO = """dag_id: x
start_date: 2026-01-01
steps:
  - id: k
    kind: kafka_ingest
    kafka_conn_id: events_kafka
    topic: t
    format: avro
    target: {conn_id: dwh_pg, table: analytics.orders}
    avro_schema:
      type: record
      name: r
      fields: []
      doc:
"""
_DUPLICATE_KEY = "dag_id: x\ndag_id: y\nstart_date: 2026-01-01\nsteps: []\n"
_MANY_STEPS = "dag_id: x\nstart_date: 2026-01-01\nsteps:\n" + "".join(
    f"  - {{id: s{i}, kind: sql, conn_id: shop_pg, sql: 'SELECT 1'}}\n" for i in range(501)
)


@pytest.mark.parametrize(
    ("document", "words"),
    [
        pytest.param(_KAFKA_AVRO + _bomb(), "expands to more than", id="alias bomb in avro_schema"),
        pytest.param(_DUPLICATE_KEY, "duplicate key 'dag_id'", id="duplicate key"),
        pytest.param(_MANY_STEPS, "at most 500", id="501 steps"),
    ],
)
def test_inputs_are_bounded(document: str, words: str) -> None:
    started = time.perf_counter()
    with pytest.raises(SpecError, match=words):
        loads_spec(document)
    assert time.perf_counter() - started < 2  # refused before anything large is built
