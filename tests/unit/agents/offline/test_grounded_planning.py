"""The offline planner grounded in what exists: existing targets, linking by meaning, the wider
grammar, and no clause dropped silently. The catalog lives in a named schema (not the default)."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_ai_etl.agents.offline import parse_request, plan_offline
from airflow_ai_etl.catalog.models import Column, ForeignKey, SchemaCatalog, Table
from airflow_ai_etl.spec import PipelineSpec, QualityCheckStep, SqlStep, TransferStep
from airflow_ai_etl.validation import validate_spec
from tests.unit.agents.offline.conftest import TODAY, validation_context


def _col(name: str, type_: str, nullable: bool = True) -> Column:
    return Column(name=name, type=type_, nullable=nullable)


def billing_catalog() -> SchemaCatalog:
    clients = [
        _col("client_id", "integer", False),
        _col("full_name", "text", False),
        _col("country_code", "text"),
        _col("is_active", "boolean"),
        _col("created_at", "timestamp with time zone", False),
        _col("updated_at", "timestamp with time zone", False),
    ]
    return SchemaCatalog(
        conn_id="billing",
        dialect="postgres",
        default_schema="public",
        tables=[
            Table(name="clients", schema_name="crm", columns=clients, primary_key=["client_id"]),
            Table(
                name="invoices",
                schema_name="crm",
                columns=[
                    _col("invoice_id", "integer", False),
                    _col("client_id", "integer", False),
                    _col("amt", "numeric(12,2)", False),
                    _col("status", "text", False),
                    _col("issued_at", "timestamp with time zone", False),
                ],
                primary_key=["invoice_id"],
                foreign_keys=[
                    ForeignKey(columns=["client_id"], ref_table="crm.clients", ref_columns=["client_id"])
                ],
            ),
            # existing targets: a copy (fewer columns) and a summary whose count column has its own name
            Table(
                name="clients_copy",
                schema_name="crm",
                columns=[c for c in clients if c.name != "is_active"],
                primary_key=["client_id"],
            ),
            Table(
                name="client_invoice_totals",
                schema_name="crm",
                columns=[_col("client_id", "integer", False), _col("invoices_issued", "bigint")],
            ),
            Table(name="snapshot", schema_name="crm", columns=[_col("id", "integer")]),
            Table(name="snapshot", schema_name="audit", columns=[_col("id", "integer")]),
        ],
    )


CATALOGS = [billing_catalog()]


def planned(request: str) -> tuple[PipelineSpec, list[str]]:
    result = plan_offline(request, CATALOGS, today=TODAY)
    assert result.ok, result.reason
    assert result.not_understood == [], result.not_understood
    assert result.spec is not None
    report = validate_spec(result.spec, validation_context(CATALOGS))
    assert report.ok, report.to_text()
    return result.spec, result.understood


def refused(request: str) -> str:
    result = plan_offline(request, CATALOGS, today=TODAY)
    assert not result.ok and result.spec is None
    assert result.reason is not None
    return result.reason


def steps_of(spec: PipelineSpec, kind: type[Any]) -> list[Any]:
    return [s for s in spec.steps if isinstance(s, kind)]


# --- targets resolve to what exists -------------------------------------------------------------


def test_an_existing_target_in_another_schema_is_that_table() -> None:
    spec, understood = planned("copy clients into clients_copy")
    assert steps_of(spec, SqlStep) == []  # nothing created
    (load,) = steps_of(spec, TransferStep)
    assert load.target.table == "crm.clients_copy"
    # loaded by column name: is_active is not a column of the target
    assert load.source.sql is not None and "is_active" not in load.source.sql
    assert any("is_active" in line and "not loaded" in line for line in understood)
    assert "target table: billing:crm.clients_copy (exists: loaded by column name)" in understood


def test_a_new_target_goes_to_the_source_schema_and_says_why() -> None:
    spec, understood = planned("copy clients into clients_archive")
    (create,) = steps_of(spec, SqlStep)
    assert "crm.clients_archive" in create.sql
    (load,) = steps_of(spec, TransferStep)
    assert load.target.table == "crm.clients_archive"
    assert any("the source table's schema" in line for line in understood)


def test_a_named_schema_wins_for_a_new_target() -> None:
    spec, _ = planned("copy clients into reporting.clients_archive")
    assert steps_of(spec, TransferStep)[0].target.table == "reporting.clients_archive"


def test_an_ambiguous_existing_target_lists_the_candidates() -> None:
    reason = refused("copy clients into snapshot")
    assert "crm.snapshot" in reason and "audit.snapshot" in reason


def test_an_aggregate_into_an_existing_summary_maps_its_columns() -> None:
    spec, understood = planned("count of invoices per client into client_invoice_totals")
    assert steps_of(spec, SqlStep) == []
    (load,) = steps_of(spec, TransferStep)  # one load: the target is not read as a second source
    assert load.target.table == "crm.client_invoice_totals"
    assert load.source.sql is not None and "AS invoices_issued" in load.source.sql
    assert any("invoices_issued" in line for line in understood)


def test_replace_with_a_fresh_copy_reads_the_target_as_target() -> None:
    spec, _ = planned("replace clients_copy with a fresh copy of clients")
    (load,) = steps_of(spec, TransferStep)
    assert (load.source.table or load.source.sql or "").count("clients") >= 1
    assert load.target.table == "crm.clients_copy"
    assert load.mode.value == "replace"


# --- linking by meaning -------------------------------------------------------------------------


def test_a_business_word_links_to_the_measure_with_its_score() -> None:
    spec, understood = planned("total revenue per client from invoices into revenue_per_client")
    sql = steps_of(spec, TransferStep)[0].source.sql or ""
    assert "SUM(amt)" in sql and "GROUP BY" in sql
    assert any("'revenue' -> billing:crm.invoices.amt (score" in line for line in understood)


def test_a_table_said_by_a_synonym_links_by_meaning() -> None:
    spec, understood = planned("copy the customers into customer_backup")
    (load,) = steps_of(spec, TransferStep)
    assert "clients" in (load.source.table or load.source.sql or "")
    assert any(line.startswith("link: 'customers' -> billing:crm.clients") for line in understood)


def test_no_close_table_is_a_refusal_with_scored_candidates() -> None:
    reason = refused("copy the volcanoes into volcano_backup")
    assert "no source table" in reason and "best candidates: billing:" in reason and "(0." in reason


def test_a_daily_total_without_a_measure_takes_the_only_measure() -> None:
    spec, _ = planned("daily total per client from invoices into daily_client_totals")
    sql = steps_of(spec, TransferStep)[0].source.sql or ""
    assert "SUM(amt)" in sql and "CAST(issued_at AS DATE)" in sql


# --- grammar ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_text", "where"),
    [
        ("copy only clients whose country_code is 'DE' into de_clients", "country_code = 'DE'"),
        ("copy invoices where amt between 10 and 20 into mid_invoices", "amt >= 10"),
        ("copy invoices with status in ('paid', 'sent') into open_invoices", "status IN ('paid', 'sent')"),
        ("copy clients where country_code is missing into unknown_clients", "country_code IS NULL"),
        ("copy invoices excluding status = 'void' into valid_invoices", "status <> 'void'"),
        ("copy active clients into active_clients", "is_active = TRUE"),
        ("copy inactive clients into dormant_clients", "is_active = FALSE"),
        ("copy invoices where issued_at after 2026-01-05 into recent_invoices", "issued_at > '2026-01-05'"),
    ],
)
def test_filter_phrasings(request_text: str, where: str) -> None:
    spec, _ = planned(request_text)
    sql = steps_of(spec, TransferStep)[0].source.sql or ""
    assert "WHERE" in sql and where in sql, sql


def test_count_distinct_per_group() -> None:
    spec, _ = planned("number of distinct status per client from invoices into status_variety")
    assert "COUNT(DISTINCT status)" in (steps_of(spec, TransferStep)[0].source.sql or "")


def test_quality_clauses_joined_by_or_and_half() -> None:
    spec, _ = planned(
        "copy clients into clients_copy, fail if client_id is not unique or the row count drops by "
        "more than half, and the data must be no older than 2 hours"
    )
    (check,) = steps_of(spec, QualityCheckStep)
    dumped = [c.model_dump(exclude_none=True) for c in check.checks]
    assert {"column": "client_id", "check": "unique"} in dumped
    assert {"check": "row_count_change", "max_drop_pct": 50.0} in dumped
    assert {"check": "freshness", "column": "updated_at", "max_age_minutes": 120.0} in dumped


# --- nothing dropped silently -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_text", "reason"),
    [
        ("copy invoices to https://example.com/hook", "'https://example.com/hook', which is not one of"),
        ("copy the clients to /tmp/clients.csv", "'/tmp/clients.csv', which is not one of"),
        ("copy the clients to someone@example.com", "'someone@example.com', which is not one of"),
        ("copy clients into clients_copy and check the uniqueness", "would change what is checked"),
        ("copy clients except the churned ones into kept_clients", "would change what is loaded"),
    ],
)
def test_clauses_that_change_the_plan_are_refused_by_name(request_text: str, reason: str) -> None:
    assert reason in refused(request_text)


def test_an_email_notification_is_not_a_destination() -> None:
    spec, _ = planned("copy clients into clients_copy and alert me at ops@example.com if it fails")
    assert spec.on_failure is not None and spec.on_failure.to == ["ops@example.com"]


def test_parse_request_exposes_the_clauses() -> None:
    intent = parse_request(
        "every day at 2am copy clients where country_code = 'DE' into clients_copy; clients must be unique",
        CATALOGS,
    )
    assert intent.schedule is not None and intent.schedule.cron == "0 2 * * *"
    assert [f.words for f in intent.filters] == ["country_code = 'DE'"]
    assert intent.target.table == "clients_copy"
    assert intent.tables == ["billing:crm.clients"]
    assert intent.not_understood == []


def test_the_validator_flags_a_create_table_that_shadows_an_existing_table() -> None:
    from airflow_ai_etl.spec import parse_spec

    spec = parse_spec(
        {
            "dag_id": "twin",
            "start_date": "2026-01-01",
            "steps": [
                {
                    "id": "create",
                    "kind": "sql",
                    "conn_id": "billing",
                    "sql": "CREATE TABLE IF NOT EXISTS public.clients_copy (client_id INT)",
                }
            ],
        }
    )
    report = validate_spec(spec, validation_context(CATALOGS))
    (finding,) = [f for f in report.findings if f.code == "sql.shadows_existing_table"]
    assert not report.ok and finding.step_id == "create"
    assert "crm.clients_copy already exists" in finding.message


def test_without_the_model_linking_is_lexical_and_never_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_ai_etl.memory.embeddings import default_embedder

    monkeypatch.setenv("AI_ETL_EMBEDDINGS", "lexical")
    default_embedder.cache_clear()
    try:
        assert default_embedder().mode == "lexical"
        spec, _ = planned("copy client into client_backup")  # spelling still links
        assert steps_of(spec, TransferStep)[0].target.table == "crm.client_backup"
        reason = refused("copy the customers into customer_backup")  # meaning does not
        assert "no source table" in reason and "best candidates:" in reason
    finally:
        monkeypatch.delenv("AI_ETL_EMBEDDINGS")
        default_embedder.cache_clear()


def test_a_camel_case_flag_is_an_adjective_too() -> None:
    members = Table(
        name="members",
        columns=[_col("memberId", "INTEGER", False), _col("isActive", "BOOLEAN", False)],
        primary_key=["memberId"],
    )
    catalog = SchemaCatalog(conn_id="library", dialect="sqlite", tables=[members])
    result = plan_offline("copy active members into active_members", [catalog], today=TODAY)
    assert result.ok and result.spec is not None, result.reason
    assert result.not_understood == []
    sql = steps_of(result.spec, TransferStep)[0].source.sql or ""
    assert '"isActive" = TRUE' in sql or "isActive = TRUE" in sql, sql
