"""The model chain and vLLM settings as read from `[ai_etl]` and a connection's extra."""

from __future__ import annotations

import pytest

from airflow_ai_etl.agents.llm_config import (
    LLMChoice,
    chain_from_config,
    choice_from_config,
    fallbacks_from_config,
)
from airflow_ai_etl.agents.vllm import VllmConfigError, guided_body, guided_field


@pytest.fixture(autouse=True)
def _no_llm(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("LLM_CONN_ID", "PLANNER_LLM_CONN_ID", "MODEL_CHAIN"):
        monkeypatch.delenv(f"AIRFLOW__AI_ETL__{key}", raising=False)


def test_the_chain_gives_the_default_connection_and_the_fallbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW__AI_ETL__MODEL_CHAIN", " openai_conn, anthropic_conn,,vllm_conn, openai_conn "
    )
    assert chain_from_config() == ["openai_conn", "anthropic_conn", "vllm_conn"]
    assert choice_from_config("planner").conn_id == "openai_conn"
    assert fallbacks_from_config("planner") == ["anthropic_conn", "vllm_conn"]
    # An agent's own connection comes first; the chain's others back it up.
    monkeypatch.setenv("AIRFLOW__AI_ETL__PLANNER_LLM_CONN_ID", "anthropic_conn")
    assert fallbacks_from_config("planner") == ["openai_conn", "vllm_conn"]
    # A connection named per call is used alone.
    assert fallbacks_from_config("planner", LLMChoice(conn_id="mine")) == []


def test_vllm_is_opted_into_by_the_connection_extra() -> None:
    assert guided_field({"model": "openai-chat:qwen"}, "c") is None
    assert guided_field({"server": "vLLM"}, "c") == "structured_outputs"
    assert guided_field({"server": "vllm", "vllm_guided_field": "guided_json"}, "c") == "guided_json"
    with pytest.raises(VllmConfigError, match=r"connection 'c': extra vllm_guided_field='regex'"):
        guided_field({"server": "vllm", "vllm_guided_field": "regex"}, "c")
    schema = {"type": "object", "properties": {"sql": {"type": "string"}}}
    assert guided_body("structured_outputs", schema) == {"structured_outputs": {"json": schema}}
    assert guided_body("guided_json", schema) == {"guided_json": schema}
