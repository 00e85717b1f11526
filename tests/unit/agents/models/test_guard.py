"""The generation's ModelGuard on a fake clock: announced retries, Retry-After, malformed bodies,
the breaker shared by agents, the time budget, and a rejected key named by connection and model.

A scripted FunctionModel stands in for the service; a "hang" advances the fake clock by the
time-out the request was sent with, as a real client's time-out would.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import pytest
from pydantic_ai import Agent
from pydantic_ai.exceptions import ModelAPIError, ModelHTTPError, ModelTimeoutError
from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import FunctionModel

from airflow_ai_etl.agents.events import Event
from airflow_ai_etl.agents.guard import ModelDown, ModelGuard
from airflow_ai_etl.agents.llm import LLM
from airflow_ai_etl.agents.llm_config import CallLimits, LLMRejected, limits_from_config
from airflow_ai_etl.agents.orchestrator import generate
from airflow_ai_etl.catalog.models import SchemaCatalog


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


def service(fake: FakeTime, *answers: Any) -> tuple[FunctionModel, list[float]]:
    """A model answering from `answers` (an exception is raised; "hang" times out); it records the
    time-out of every request it gets."""
    script = list(answers)
    timeouts: list[float] = []

    def answer(messages: Any, info: Any) -> ModelResponse:
        timeout = float((info.model_settings or {}).get("timeout", 0))
        timeouts.append(timeout)
        item = script.pop(0) if script else "hang"
        if item == "hang":
            fake.now += timeout
            raise ModelTimeoutError("scripted", "Request timed out.")
        if isinstance(item, BaseException):
            raise item
        return ModelResponse(parts=[TextPart(item)])

    return FunctionModel(answer, model_name="scripted"), timeouts


def guard_for(fake: FakeTime, events: list[tuple[str, str]], **kwargs: Any) -> ModelGuard:
    return ModelGuard(
        clock=fake.clock, sleep=fake.sleep, on_progress=lambda a, m: events.append((a, m)), **kwargs
    )


def ask(model: FunctionModel, guard: ModelGuard, agent: str = "planner", label: str = "m") -> str:
    guarded = guard.wrap(model, agent=agent, label=label, timeout_s=60)
    return Agent(guarded).run_sync("hello").output


def http(status: int, headers: dict[str, str] | None = None) -> ModelHTTPError:
    return ModelHTTPError(status_code=status, model_name="scripted", body="x", headers=headers)


def test_every_retry_is_announced_with_its_wait(fake: FakeTime) -> None:
    events: list[tuple[str, str]] = []
    model, _ = service(fake, http(503), http(502), "fine")
    assert ask(model, guard_for(fake, events, max_retries=2)) == "fine"

    assert fake.slept == [1.0, 2.0]
    assert [m for _, m in events] == [
        "model not answering (HTTP 503), retry 1 of 2 in 1 s",
        "model not answering (HTTP 502), retry 2 of 2 in 2 s",
    ]


def test_retry_after_is_honoured(fake: FakeTime) -> None:
    events: list[tuple[str, str]] = []
    model, _ = service(fake, http(429, {"retry-after": "7"}), "fine")
    assert ask(model, guard_for(fake, events)) == "fine"
    assert fake.slept == [7.0] and "in 7 s" in events[0][1]


def test_a_malformed_body_is_retried_like_a_5xx(fake: FakeTime) -> None:
    """pydantic-ai reports a body the SDK could not decode as a plain ModelAPIError."""
    events: list[tuple[str, str]] = []
    model, _ = service(fake, ModelAPIError("scripted", "Failed to decode response as JSON"), "fine")
    assert ask(model, guard_for(fake, events)) == "fine"
    assert fake.slept == [1.0]


def test_once_down_later_agents_do_not_ask_again(fake: FakeTime) -> None:
    events: list[tuple[str, str]] = []
    guard = guard_for(fake, events, max_retries=1)
    model, timeouts = service(fake, http(500), http(500))
    with pytest.raises(ModelAPIError):
        ask(model, guard, agent="schema_analyst")
    asked = len(timeouts)

    with pytest.raises(ModelDown, match="not asked"):
        ask(model, guard, agent="planner")
    assert len(timeouts) == asked == 2  # the planner did not reach the service
    assert guard.failed == {"schema_analyst": 2}
    assert any("later agents will not wait" in m for a, m in events if a == "schema_analyst")
    # Another model (a fallback connection) is still asked.
    other, _ = service(fake, "from the other model")
    assert ask(other, guard, label="other") == "from the other model"


def test_requests_share_the_budget(fake: FakeTime) -> None:
    events: list[tuple[str, str]] = []
    guard = guard_for(fake, events, budget_s=10, max_retries=5)
    model, timeouts = service(fake, "hang")
    with pytest.raises(ModelAPIError):
        ask(model, guard)
    assert timeouts == [10.0]  # the budget, not llm_timeout (60), bounds the request
    assert fake.now == 10.0
    assert "budget" in guard.open["m"] and fake.slept == []  # a retry would not fit: no wait


def test_a_rejected_key_names_the_connection_and_model(fake: FakeTime) -> None:
    guard = guard_for(fake, [])
    model, timeouts = service(fake, http(401))
    with pytest.raises(LLMRejected, match=r"scripted via connection 'shop_llm'.*HTTP 401"):
        ask(model, guard, label="function:scripted via connection 'shop_llm'")
    assert len(timeouts) == 1 and not guard.open  # no retry, and no outage


def test_a_hung_model_hands_over_within_60_s_with_the_default_settings(
    fake: FakeTime, shop_catalog: SchemaCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defaults (llm_timeout 60, llm_max_retries 2, llm_budget_seconds 60) and every agent on one
    hung model: the schema analyst spends the budget, the planner is not asked, the offline
    planner plans; model time in all: 60 s, not 6 minutes."""
    for key in ("LLM_CONN_ID", "LLM_TIMEOUT", "LLM_MAX_RETRIES", "LLM_BUDGET_SECONDS"):
        monkeypatch.delenv(f"AIRFLOW__AI_ETL__{key}", raising=False)
    limits = limits_from_config()
    assert (limits.timeout_s, limits.max_retries, limits.budget_s) == (60, 2, 60)
    fake_guard = functools.partial(ModelGuard, clock=fake.clock, sleep=fake.sleep)
    monkeypatch.setattr("airflow_ai_etl.agents.guard.ModelGuard", fake_guard)  # made on first use
    model, timeouts = service(fake)  # hangs on every request
    llms = {a: LLM.from_model(a, model, CallLimits()) for a in ("schema_analyst", "planner", "sql_expert")}
    events: list[Event] = []
    result = generate(
        "copy orders into a table orders_copy",
        [shop_catalog],
        today=dt.date(2026, 1, 1),
        agent_llms=llms,
        tools=[],
        dry_run=False,
        on_event=events.append,
    )

    assert fake.now <= 60.0
    assert timeouts == [60.0]  # one request, bounded by the budget; nobody waited again
    assert result.fallback is not None and "budget" in result.fallback
    assert result.planned_by.startswith("offline (model unavailable: ")
    assert any(e.agent == "offline_planner" and e.level == "warning" for e in events)
