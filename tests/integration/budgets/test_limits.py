"""Budgets against the real Redis: concurrent admissions share one count; spent budgets name the limit."""

from __future__ import annotations

import getpass
import json
import threading

import pytest
import redis
from pydantic_ai.models.function import FunctionModel

from airflow_ai_etl.agents.llm import LLM
from airflow_ai_etl.agents.orchestrator import generate
from airflow_ai_etl.budgets.limiter import BudgetExceeded, Budgets, Subject, build_budgets
from airflow_ai_etl.budgets.settings import BudgetSettings, Limits, budget_settings
from tests.support.cli import ai_etl  # noqa: F401  (a fixture)
from tests.support.redis import REDIS_URL, redis_prefix  # noqa: F401  (a fixture)
from tests.unit.agents.offline.conftest import shop_catalog, warehouse_catalog


@pytest.fixture
def prefix(redis_prefix: str) -> str:  # noqa: F811  (the shared fixture, by a short name)
    return redis_prefix


def budgets(prefix: str, user: Limits | None = None, **models: Limits) -> Budgets:
    settings = BudgetSettings(user=user or Limits(), models=models, conn_id="unused")
    return Budgets(settings, redis.Redis.from_url(REDIS_URL), prefix=prefix)


def test_concurrent_requests_from_many_processes_share_one_bucket(prefix: str) -> None:
    """24 callers at once, each with its own client (as api-server workers have): exactly 5 get in."""
    limit = Limits(requests_per_minute=5)
    start = threading.Barrier(24)
    admitted: list[bool] = []
    refusals: list[BudgetExceeded] = []
    lock = threading.Lock()

    def ask() -> None:
        mine = budgets(prefix, limit)
        start.wait()
        try:
            mine.admit(Subject("user", "alice"))
            outcome = True
        except BudgetExceeded as exc:
            outcome = False
            with lock:
                refusals.append(exc)
        with lock:
            admitted.append(outcome)

    threads = [threading.Thread(target=ask) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert admitted.count(True) == 5
    refusal = refusals[0]
    assert "[ai_etl] user_requests_per_minute" in str(refusal) and "5 requests per minute" in str(refusal)
    assert 1 <= refusal.retry_after <= 12
    budgets(prefix, limit).admit(Subject("user", "bob"))  # another user has a bucket of their own


def test_a_spent_day_of_tokens_refuses_until_the_next_day(prefix: str) -> None:
    limits = budgets(prefix, Limits(tokens_per_day=1000))
    alice = Subject("user", "alice")
    limits.admit(alice)
    limits.charge(alice, tokens=1200, cost_usd=0.1)
    with pytest.raises(BudgetExceeded) as refused:
        limits.admit(alice)
    assert "1000 tokens per day" in str(refused.value) and "[ai_etl] user_tokens_per_day" in str(
        refused.value
    )
    assert 0 < refused.value.retry_after <= 86400


def test_a_spent_model_cost_ends_a_generation_with_the_limit_named(prefix: str, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_AI_ETL_BUDGET_TEST", REDIS_URL)
    monkeypatch.setenv("AIRFLOW__AI_ETL__CACHE_CONN_ID", "ai_etl_budget_test")
    monkeypatch.setenv("AIRFLOW__AI_ETL__CACHE_KEY_PREFIX", prefix)
    monkeypatch.setenv(
        "AIRFLOW__AI_ETL__MODEL_PRICES",
        json.dumps({"function:budgeted": {"input_per_mtok": 1, "output_per_mtok": 1}}),
    )
    monkeypatch.setenv(
        "AIRFLOW__AI_ETL__MODEL_BUDGETS", json.dumps({"function:budgeted": {"cost_per_day": 0.5}})
    )
    build_budgets(budget_settings()).charge(Subject("model", "function:budgeted"), tokens=10, cost_usd=0.75)

    def never(*_args: object) -> None:
        raise AssertionError("a model over its budget was asked")

    llm = LLM.from_model("planner", FunctionModel(never, model_name="budgeted"))
    result = generate(
        "copy orders to the warehouse", [shop_catalog(), warehouse_catalog()], agent_llms={"planner": llm}
    )
    assert not result.ok
    assert "model 'function:budgeted' has reached its limit of 0.5 USD per day" in (result.reason or "")
    assert "model_budgets['function:budgeted'].cost_per_day" in (result.reason or "")


def test_the_cli_refuses_a_spent_user_with_the_same_message_and_a_non_zero_exit(
    prefix: str,
    monkeypatch,
    ai_etl,  # noqa: F811
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_AI_ETL_BUDGET_TEST", REDIS_URL)
    monkeypatch.setenv("AIRFLOW__AI_ETL__CACHE_CONN_ID", "ai_etl_budget_test")
    monkeypatch.setenv("AIRFLOW__AI_ETL__CACHE_KEY_PREFIX", prefix)
    monkeypatch.setenv("AIRFLOW__AI_ETL__USER_COST_PER_DAY", "2")
    build_budgets(budget_settings()).charge(Subject("user", getpass.getuser()), tokens=10, cost_usd=2.5)
    proc = ai_etl("generate", "copy orders to the warehouse", "--conn", "shop", "--offline")
    assert proc.returncode == 1
    assert f"user '{getpass.getuser()}' has reached its limit of 2 USD per day" in proc.stderr
    assert "[ai_etl] user_cost_per_day" in proc.stderr


def test_the_cli_names_a_misconfigured_budget(monkeypatch, ai_etl) -> None:  # noqa: F811
    monkeypatch.setenv("AIRFLOW__AI_ETL__CACHE_CONN_ID", "anything")
    monkeypatch.setenv("AIRFLOW__AI_ETL__MODEL_BUDGETS", '{"acme:unknown-model": {"requests_per_minute": 3}}')
    proc = ai_etl("generate", "copy orders to the warehouse", "--conn", "shop", "--offline")
    assert proc.returncode == 1
    assert "[ai_etl] model_budgets" in proc.stderr and "'acme:unknown-model' is unknown" in proc.stderr


def test_a_redis_that_cannot_be_reached_admits_with_a_warning(caplog) -> None:
    settings = BudgetSettings(user=Limits(requests_per_minute=1), conn_id="unused")
    dead = Budgets(settings, redis.Redis(port=1, socket_connect_timeout=0.2))
    with caplog.at_level("WARNING"):
        dead.admit(Subject("user", "alice"))
        dead.admit(Subject("user", "alice"))
    assert "budgets not checked" in caplog.text
