"""`ai-etl doctor` on the agents' model settings: the model chain's connections and the critics'
settings, each problem with the line that fixes it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from airflow_ai_etl.doctor.agent_models import check_critics, check_model_chain

MODEL = {"conn_type": "pydanticai", "password": "sk-test", "extra": {"model": "openai:gpt-test"}}


@pytest.fixture(autouse=True)
def _no_models(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("LLM_CONN_ID", "MODEL_CHAIN", "CRITIC_CONN_IDS", "CRITIC_LLM_CONN_ID", "CRITIC_COUNT"):
        monkeypatch.delenv(f"AIRFLOW__AI_ETL__{key}", raising=False)


def test_a_model_chain_of_model_connections_is_fine(
    airflow_conn: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert [f.ok for f in check_model_chain()] == [True]  # none configured
    airflow_conn("openai_doc", **MODEL)
    airflow_conn("anthropic_doc", **{**MODEL, "extra": {"model": "anthropic:claude-test"}})
    monkeypatch.setenv("AIRFLOW__AI_ETL__MODEL_CHAIN", "openai_doc, anthropic_doc")
    [finding] = check_model_chain()
    assert finding.ok and "openai_doc, anthropic_doc" in finding.message


def test_each_bad_model_chain_entry_is_a_finding_with_its_fix(
    airflow_conn: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    airflow_conn("openai_doc", **MODEL)
    airflow_conn("warehouse_doc", "postgresql://u@localhost/db")
    monkeypatch.setenv("AIRFLOW__AI_ETL__MODEL_CHAIN", "openai_doc, missing_doc, warehouse_doc")

    missing, wrong_kind = check_model_chain()

    assert not missing.ok and "'missing_doc' is not defined" in missing.message
    assert (
        missing.fix == "add a `pydanticai` connection 'missing_doc', or remove it from [ai_etl] model_chain"
    )
    assert not wrong_kind.ok and "'warehouse_doc' is of type 'postgres'" in wrong_kind.message
    assert "type pydanticai" in wrong_kind.fix and "[ai_etl] model_chain" in wrong_kind.fix


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"CRITIC_COUNT": "50"}, "critic_count = 50: use 0 (no critics) to 9"),
        ({"CRITIC_COUNT": "three"}, "critic_count"),
        ({"CRITIC_AGREEMENT": "1.5"}, "critic_agreement = 1.5"),
        ({"CRITIC_TIMEOUT_SECONDS": "0"}, "critic_timeout_seconds = 0"),
    ],
)
def test_critic_settings_that_are_not_sane_are_findings(
    settings: dict[str, str], says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in settings.items():
        monkeypatch.setenv(f"AIRFLOW__AI_ETL__{key}", value)
    [finding] = check_critics()
    assert not finding.ok and says in finding.message and finding.fix


def test_critic_models_must_resolve_to_model_connections(
    airflow_conn: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW__AI_ETL__CRITIC_COUNT", "3")
    [none] = check_critics()
    assert none.ok and "none vote" in none.message  # no model at all: the offline planner

    airflow_conn("critic_doc", **MODEL)
    monkeypatch.setenv("AIRFLOW__AI_ETL__CRITIC_CONN_IDS", "critic_doc, gone_doc")
    [gone] = check_critics()
    assert not gone.ok and "[ai_etl] critic_conn_ids: connection 'gone_doc' is not defined" in gone.message
    assert "remove it from [ai_etl] critic_conn_ids" in gone.fix

    monkeypatch.delenv("AIRFLOW__AI_ETL__CRITIC_CONN_IDS")
    monkeypatch.setenv("AIRFLOW__AI_ETL__LLM_CONN_ID", "critic_doc")
    [fine] = check_critics()
    assert fine.ok and "3 critic(s) on critic_doc" in fine.message
