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


def _table(name: str, *columns: Column, foreign_keys: tuple[ForeignKey, ...] = ()) -> Table:
    """A table of the club's `gym` schema, keyed by its first column."""
    return Table(
        name=name,
        schema_name="gym",
        columns=list(columns),
        primary_key=[columns[0].name],
        foreign_keys=list(foreign_keys),
    )


def club_catalog() -> SchemaCatalog:
    athlete = ForeignKey(columns=["athlete_id"], ref_table="gym.athletes", ref_columns=["athlete_id"])
    return SchemaCatalog(
        conn_id="club",
        dialect="postgres",
        default_schema="public",
        tables=[
            _table("athletes", _col("athlete_id", "integer"), _col("nick", "text"), _col("tier", "text")),
            _table(
                "contracts",
                _col("contract_id", "integer"),
                _col("athlete_id", "integer"),
                _col("arr", "numeric(10,2)"),
                _col("region", "text"),
                foreign_keys=(athlete,),
            ),
            _table(
                "sessions",
                _col("session_id", "integer"),
                _col("athlete_id", "integer"),
                _col("noShowFee", "numeric(6,2)"),
                _col("room", "text"),
            ),
            _table(
                "visits",
                _col("visit_id", "integer"),
                _col("athlete_id", "integer"),
                _col("c7", "integer", comment="number of guests brought along"),
                _col("minutes", "integer"),
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


@pytest.mark.parametrize(
    ("request_text", "sums", "said"),
    [
        pytest.param(
            "total revenue per region from contracts into revenue_by_region",
            ["SUM(arr)"],
            ["'revenue' -> club:gym.contracts.arr (score"],
            id="a business word links to an acronym column",
        ),
        pytest.param(
            "total guests per athlete from visits into guests_per_athlete",
            ["SUM(c7)"],
            ["'guests' -> club:gym.visits.c7"],
            id="a column comment links a cryptic name",
        ),
        pytest.param(
            "total penalties per athlete from sessions into penalties_per_athlete",
            ['SUM("noShowFee")', "SUM(noShowFee)"],
            ["read as noShowFee, the only numeric measure", "by elimination"],
            id="the only measure is taken by elimination and said",
        ),
    ],
)
def test_a_measure_word_links_to_a_column_and_says_how(
    request_text: str, sums: list[str], said: list[str]
) -> None:
    spec, understood = planned(request_text)
    assert any(total in source_sql(spec) for total in sums), source_sql(spec)
    assert any(all(words in line for words in said) for line in understood), understood


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
