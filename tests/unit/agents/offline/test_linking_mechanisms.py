"""General linking mechanisms, on a domain no suite uses (a fitness club): acronyms spelt out,
column comments, a measure by elimination, and a word left over before a table."""

from __future__ import annotations

import pytest

from airflow_ai_etl.agents.offline import plan_offline
from airflow_ai_etl.catalog.models import Column, ForeignKey, SchemaCatalog, Table
from airflow_ai_etl.memory.words import identifier_words
from airflow_ai_etl.spec import PipelineSpec, TransferStep
from airflow_ai_etl.validation import validate_spec
from tests.unit.agents.offline.conftest import TODAY, validation_context


def _col(name: str, type_: str, comment: str | None = None) -> Column:
    return Column(name=name, type=type_, nullable=True, comment=comment)


def club_catalog() -> SchemaCatalog:
    return SchemaCatalog(
        conn_id="club",
        dialect="postgres",
        default_schema="public",
        tables=[
            Table(
                name="athletes",
                schema_name="gym",
                columns=[_col("athlete_id", "integer"), _col("nick", "text"), _col("tier", "text")],
                primary_key=["athlete_id"],
            ),
            Table(
                name="contracts",
                schema_name="gym",
                columns=[
                    _col("contract_id", "integer"),
                    _col("athlete_id", "integer"),
                    _col("arr", "numeric(10,2)"),
                    _col("region", "text"),
                ],
                primary_key=["contract_id"],
                foreign_keys=[
                    ForeignKey(columns=["athlete_id"], ref_table="gym.athletes", ref_columns=["athlete_id"])
                ],
            ),
            Table(
                name="sessions",
                schema_name="gym",
                columns=[
                    _col("session_id", "integer"),
                    _col("athlete_id", "integer"),
                    _col("noShowFee", "numeric(6,2)"),
                    _col("room", "text"),
                ],
                primary_key=["session_id"],
            ),
            Table(
                name="visits",
                schema_name="gym",
                columns=[
                    _col("visit_id", "integer"),
                    _col("athlete_id", "integer"),
                    _col("c7", "integer", comment="number of guests brought along"),
                    _col("minutes", "integer"),
                ],
                primary_key=["visit_id"],
            ),
        ],
    )


CATALOGS = [club_catalog()]


def planned(request: str) -> tuple[PipelineSpec, list[str]]:
    result = plan_offline(request, CATALOGS, today=TODAY)
    assert result.ok, result.reason
    assert result.spec is not None
    report = validate_spec(result.spec, validation_context(CATALOGS))
    assert report.ok, report.to_text()
    return result.spec, result.understood


def source_sql(spec: PipelineSpec) -> str:
    (load,) = [s for s in spec.steps if isinstance(s, TransferStep)]
    return load.source.sql or ""


def refused(request: str) -> str:
    result = plan_offline(request, CATALOGS, today=TODAY)
    assert not result.ok and result.reason is not None
    return result.reason


@pytest.mark.parametrize(
    ("name", "words"),
    [("mrr", "monthly recurring revenue"), ("cust_nm", "customer name"), ("arpuAmt", "arpu amount")],
)
def test_acronyms_and_class_words_are_spelt_out(name: str, words: str) -> None:
    assert identifier_words(name) == words.replace("arpu", "average revenue per user")


def test_a_business_word_links_to_an_acronym_column() -> None:
    spec, understood = planned("total revenue per region from contracts into revenue_by_region")
    assert "SUM(arr)" in source_sql(spec)
    assert any("'revenue' -> club:gym.contracts.arr (score" in line for line in understood)


def test_a_column_comment_links_a_cryptic_name() -> None:
    spec, understood = planned("total guests per athlete from visits into guests_per_athlete")
    assert "SUM(c7)" in source_sql(spec)
    assert any("'guests' -> club:gym.visits.c7" in line for line in understood)


def test_the_only_measure_is_taken_by_elimination_and_said() -> None:
    spec, understood = planned("total penalties per athlete from sessions into penalties_per_athlete")
    assert 'SUM("noShowFee")' in source_sql(spec) or "SUM(noShowFee)" in source_sql(spec)
    said = [line for line in understood if "read as noShowFee, the only numeric measure" in line]
    assert said and "by elimination" in said[0]


def test_no_elimination_among_several_measures() -> None:
    reason = refused("total penalties per athlete from visits into penalties_per_athlete")
    assert "'penalties'" in reason and "best candidates" in reason


@pytest.mark.parametrize(
    ("request_text", "word"),
    [
        ("copy premium athletes into vip_athletes", "premium"),
        ("copy the cancelled sessions into lost_sessions", "cancelled"),
        ("total arr per region from regional contracts into arr_by_region", "regional"),
    ],
)
def test_a_word_left_before_a_table_is_a_refusal(request_text: str, word: str) -> None:
    reason = refused(request_text)
    assert f"did not understand {word!r} before" in reason


def test_determiners_and_claimed_words_before_a_table_are_fine() -> None:
    planned("copy all athletes into athlete_copy")
    planned("copy new sessions into session_copy every night at 2")
