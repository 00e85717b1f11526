"""Budget and price settings: a misconfiguration is a clear error naming the option."""

from __future__ import annotations

import json

import pytest

from airflow_ai_etl.budgets.prices import cost_usd, price_overrides
from airflow_ai_etl.budgets.settings import budget_settings
from airflow_ai_etl.config import ConfigError, check_settings


@pytest.fixture(autouse=True)
def redis_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__AI_ETL__CACHE_CONN_ID", "some_redis")


@pytest.mark.parametrize(
    ("option", "value", "named", "problem"),
    [
        ("USER_REQUESTS_PER_MINUTE", "-1", "user_requests_per_minute", "0 (no limit) or more"),
        ("USER_TOKENS_PER_DAY", "lots", "user_tokens_per_day", "not a whole number"),
        ("USER_COST_PER_DAY", "-0.5", "user_cost_per_day", "0 (no limit) or more"),
        ("MODEL_BUDGETS", '{"nobody:no-such-model": {"tokens_per_day": 5}}', "model_budgets", "is unknown"),
        ("MODEL_BUDGETS", '{"openai:gpt-5": {"tokens_per_day": -5}}', "model_budgets", "0 or more"),
        ("MODEL_BUDGETS", '{"openai:gpt-5": {"tokens_a_day": 5}}', "model_budgets", "limits are"),
        ("MODEL_BUDGETS", "[1, 2]", "model_budgets", "JSON object"),
        ("MODEL_BUDGETS", "{not json", "model_budgets", "not JSON"),
        (
            "MODEL_PRICES",
            '{"openai:gpt-5": {"input_per_mtok": -1, "output_per_mtok": 1}}',
            "model_prices",
            ">= 0",
        ),
        ("CACHE_MAX_ENTRIES", "0", "cache_max_entries", "at least 1"),
    ],
)
def test_a_bad_value_is_an_error_naming_the_option(monkeypatch, option, value, named, problem) -> None:
    monkeypatch.setenv(f"AIRFLOW__AI_ETL__{option}", value)
    with pytest.raises(ConfigError) as raised:
        check_settings()
    assert f"[ai_etl] {named}" in str(raised.value)
    assert problem in str(raised.value)


def test_limits_without_a_shared_redis_are_refused(monkeypatch) -> None:
    monkeypatch.delenv("AIRFLOW__AI_ETL__CACHE_CONN_ID")
    monkeypatch.setenv("AIRFLOW__AI_ETL__USER_REQUESTS_PER_MINUTE", "10")
    with pytest.raises(ConfigError, match=r"\[ai_etl\] cache_conn_id.*every process shares one count"):
        budget_settings()


def test_a_model_priced_only_by_the_override_may_have_a_budget(monkeypatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW__AI_ETL__MODEL_PRICES",
        json.dumps({"vllm:house-model": {"input_per_mtok": 2, "output_per_mtok": 6}}),
    )
    monkeypatch.setenv(
        "AIRFLOW__AI_ETL__MODEL_BUDGETS", json.dumps({"vllm:house-model": {"cost_per_day": 3}})
    )
    settings = budget_settings()
    assert settings.models["vllm:house-model"].cost_per_day == 3
    assert cost_usd("vllm:house-model", 1_000_000, 500_000) == pytest.approx(5.0)


def test_prices_come_from_genai_prices_unless_overridden(monkeypatch) -> None:
    listed = cost_usd("openai:gpt-4o", 1_000_000, 0)
    assert listed is not None and listed > 0
    assert cost_usd("nobody:no-such-model", 10, 10) is None
    monkeypatch.setenv(
        "AIRFLOW__AI_ETL__MODEL_PRICES", '{"openai:gpt-4o": {"input_per_mtok": 1, "output_per_mtok": 1}}'
    )
    price_overrides.cache_clear()
    assert cost_usd("openai:gpt-4o", 1_000_000, 0) == pytest.approx(1.0)
    price_overrides.cache_clear()


def test_recorded_usage_is_priced_by_the_override(monkeypatch) -> None:
    from airflow_ai_etl.agents.llm import LLM
    from airflow_ai_etl.agents.orchestrator import generate
    from tests.unit.agents.offline.conftest import validation_context
    from tests.unit.cache.conftest import CountingModel, contrast_catalogs
    from tests.unit.cache.test_calls import answer

    monkeypatch.setenv(
        "AIRFLOW__AI_ETL__MODEL_PRICES", '{"function:counting": {"input_per_mtok": 2, "output_per_mtok": 6}}'
    )
    model = CountingModel(answer())
    catalogs = contrast_catalogs()
    result = generate(
        "copy orders where status = 'paid' to the warehouse",
        catalogs,
        agent_llms={"planner": LLM.from_model("planner", model.model)},
        context=validation_context(catalogs),
        dry_run=False,
    )
    (planner,) = [u for u in result.usage if u.agent == "planner"]
    assert planner.requests == model.calls >= 1
    assert planner.cost_usd == pytest.approx(model.calls * (1000 * 2 + 200 * 6) / 1e6)


def test_limits_whose_redis_connection_is_missing_are_a_startup_error(monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW__AI_ETL__USER_TOKENS_PER_DAY", "1000")
    with pytest.raises(ConfigError, match=r"\[ai_etl\] cache_conn_id = 'some_redis': the budgets' Redis"):
        check_settings()
