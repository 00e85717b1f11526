"""Model resolution from `[ai_etl]` config and Airflow connections; usage accounting."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic_ai.usage import RunUsage

from airflow_ai_etl.agents.llm import connect
from airflow_ai_etl.agents.llm_config import (
    CallLimits,
    LLMChoice,
    LLMUnavailable,
    choice_from_config,
    limits_from_config,
)
from airflow_ai_etl.agents.prompting import load_prompt
from airflow_ai_etl.agents.usage import UsageMeter


def _set_config(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for key, value in values.items():
        monkeypatch.setenv(f"AIRFLOW__AI_ETL__{key.upper()}", value)


def test_defaults_apply_to_every_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    _set_config(monkeypatch, llm_conn_id="llm_main", model="openai:gpt-main")
    assert choice_from_config("planner") == LLMChoice("llm_main", "openai:gpt-main")
    assert choice_from_config("sql_expert") == LLMChoice("llm_main", "openai:gpt-main")


def test_agent_keys_override_defaults_and_call_overrides_win(monkeypatch: pytest.MonkeyPatch) -> None:
    _set_config(
        monkeypatch, llm_conn_id="llm_main", model="openai:gpt-main", sql_expert_model="openai:gpt-sql"
    )
    assert choice_from_config("sql_expert") == LLMChoice("llm_main", "openai:gpt-sql")
    assert choice_from_config("planner") == LLMChoice("llm_main", "openai:gpt-main")
    override = LLMChoice(conn_id="llm_other")
    assert choice_from_config("sql_expert", override) == LLMChoice("llm_other", "openai:gpt-sql")


def test_no_connection_configured_means_no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW__AI_ETL__LLM_CONN_ID", raising=False)
    assert connect("planner") is None


def test_missing_connection_is_a_clear_error() -> None:
    with pytest.raises(LLMUnavailable, match=r"'no_such_llm' for the planner"):
        connect("planner", LLMChoice(conn_id="no_such_llm"))


def test_pydanticai_connection_gives_its_model(monkeypatch: pytest.MonkeyPatch) -> None:
    conn = {"conn_type": "pydanticai", "host": "http://127.0.0.1:9/v1", "password": "k", "extra": {}}
    monkeypatch.setenv(
        "AIRFLOW_CONN_LLM_UNIT", json.dumps({**conn, "extra": {"model": "openai-chat:gpt-conn"}})
    )
    _set_config(monkeypatch, llm_conn_id="llm_unit", llm_timeout="3", llm_max_retries="1")

    from_conn = connect("planner")
    assert from_conn is not None
    assert from_conn.model.model_name == "gpt-conn"
    assert from_conn.conn_id == "llm_unit"
    assert from_conn.limits.timeout_s == 3 and from_conn.limits.max_retries == 1

    _set_config(monkeypatch, planner_model="openai-chat:gpt-planner")
    from_config = connect("planner")
    assert from_config is not None and from_config.model.model_name == "gpt-planner"

    per_call = connect("planner", LLMChoice(model="openai-chat:gpt-call"))
    assert per_call is not None and per_call.model.model_name == "gpt-call"


def test_connection_without_a_model_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_LLM_NOMODEL", json.dumps({"conn_type": "pydanticai", "password": "k"}))
    with pytest.raises(LLMUnavailable, match="No model specified"):
        connect("planner", LLMChoice(conn_id="llm_nomodel"))


def test_limits_default_when_not_configured() -> None:
    assert limits_from_config() == CallLimits()


def test_prompts_ship_as_package_data() -> None:
    assert load_prompt("planner").strip()
    assert load_prompt("sql_expert").strip()
    assert load_prompt("schema_analyst").strip()


def test_usage_meter_sums_per_agent_and_unknown_cost_stays_unknown() -> None:
    meter = UsageMeter()
    meter.add("planner", RunUsage(requests=1, input_tokens=100, output_tokens=10, cost=Decimal("0.5")))
    meter.add("planner", RunUsage(requests=2, input_tokens=50, output_tokens=5, cost=Decimal("0.25")))
    meter.add("sql_expert", RunUsage(requests=1, input_tokens=7, output_tokens=3))
    meter.add("reflector", RunUsage())  # no requests: not listed
    usage = {u.agent: u for u in meter.summary()}
    assert set(usage) == {"planner", "sql_expert"}
    assert (usage["planner"].requests, usage["planner"].input_tokens, usage["planner"].output_tokens) == (
        3,
        150,
        15,
    )
    assert usage["planner"].cost_usd == pytest.approx(0.75)
    assert usage["sql_expert"].cost_usd is None
