"""Every provider over HTTP, and the fallback chain across them.

Anthropic: the real `anthropic` client (pydantic-ai's Anthropic model through a `pydanticai`
connection) talks to the scripted server's Messages API. vLLM: the real `openai` client talks to
its Chat Completions endpoint, and the scripted server answers with JSON only when the request
carries vLLM's guided-decoding field with the output's schema (as vLLM would force it), so the
test fails if the field is missing. The chain: `[ai_etl] model_chain` with the first connection
refusing connections and the second answering 5xx hands every agent to the third.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from airflow_ai_etl.agents.events import Event, GenerationResult
from airflow_ai_etl.agents.orchestrator import generate
from tests.integration.agents.llm.test_generate_operator import SPEC, SQL
from tests.support import scripted_llm as llm

pytestmark = pytest.mark.integration

REQUEST = "every night at 2 copy orders into analytics.orders_copy"
TABLES = {"response": ["shop_pg:public.orders"]}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _configure(monkeypatch: pytest.MonkeyPatch, **settings: str) -> None:
    values = {"llm_timeout": "3", "llm_max_retries": "0", **settings}
    for key, value in values.items():
        monkeypatch.setenv(f"AIRFLOW__AI_ETL__{key.upper()}", value)


def _generate(shop: Any, events: list[Event]) -> GenerationResult:
    return generate(REQUEST, [shop], today=dt.date(2026, 1, 1), tools=[], on_event=events.append)


@pytest.fixture
def second_llm() -> Iterator[llm.ScriptedLLM]:
    with llm.running() as server:
        yield server


def test_anthropic_over_its_messages_api(shop, scripted_llm, airflow_conn, monkeypatch) -> None:
    airflow_conn("claude", **scripted_llm.connection("anthropic:claude-test"))
    _configure(monkeypatch, llm_conn_id="claude")
    scripted_llm.script(llm.output(TABLES), llm.output(SPEC), llm.output({"sql": SQL}))
    events: list[Event] = []

    result = _generate(shop, events)

    assert result.ok, result.reason
    assert result.planned_by == "model"
    assert [r.path for r in scripted_llm.requests] == ["/v1/messages"] * 3
    assert {r.body["model"] for r in scripted_llm.requests} == {"claude-test"}
    planner = next(e for e in events if e.agent == "planner" and "planned" in e.message)
    assert planner.data["model"] == "anthropic:claude-test via connection 'claude'"
    assert (planner.input_tokens, planner.output_tokens) == (100, 20)


def _guided(answer: dict[str, Any], field: str) -> Callable[[dict[str, Any]], llm.Reply]:
    """vLLM under guided decoding: the answer as JSON text when the request carries the output's
    schema in `field`, else what an unguided small model might say."""

    def reply(body: dict[str, Any]) -> llm.Reply:
        schema = body.get(field, {})
        schema = schema.get("json") if field == "structured_outputs" else schema
        if isinstance(schema, dict) and set(answer) <= set(schema.get("properties", {})):
            return llm.text(json.dumps(answer))
        return llm.text("Sure! Here is the pipeline you asked for.")

    return reply


@pytest.mark.parametrize("field", ["structured_outputs", "guided_json"])
def test_vllm_answers_are_guided_by_the_output_schema(
    shop, scripted_llm, airflow_conn, monkeypatch, field: str
) -> None:
    extra = {"server": "vllm"} | ({"vllm_guided_field": field} if field != "structured_outputs" else {})
    airflow_conn("qwen", **scripted_llm.connection("openai-chat:Qwen/Qwen2.5-7B-Instruct", **extra))
    _configure(monkeypatch, llm_conn_id="qwen", llm_output_retries="0")
    scripted_llm.script(llm.output(TABLES), _guided(SPEC, field), _guided({"sql": SQL}, field))

    result = _generate(shop, [])

    assert result.ok, result.reason
    # Every agent, the schema analyst included (it calls through run_agent like the others), asks
    # for guided text: the schema in the vLLM field, and no output tool.
    for request in scripted_llm.requests:
        assert "tools" not in request.body and field in request.body
    assert {r.body["model"] for r in scripted_llm.requests} == {"Qwen/Qwen2.5-7B-Instruct"}


def test_an_unknown_vllm_guided_field_is_a_configuration_error(
    shop, scripted_llm, airflow_conn, monkeypatch
) -> None:
    airflow_conn(
        "qwen", **scripted_llm.connection("openai-chat:qwen", server="vllm", vllm_guided_field="grammar")
    )
    _configure(monkeypatch, llm_conn_id="qwen")

    result = _generate(shop, [])

    assert not result.ok
    assert "vllm_guided_field='grammar'" in (result.reason or "") and "qwen" in (result.reason or "")
    assert scripted_llm.requests == []


def test_the_chain_skips_a_refused_and_a_failing_provider(
    shop, scripted_llm, second_llm, airflow_conn, monkeypatch
) -> None:
    refused = scripted_llm.connection()
    refused["host"] = f"http://127.0.0.1:{_closed_port()}/v1"
    airflow_conn("openai_down", **refused)
    airflow_conn("anthropic_5xx", **second_llm.connection("anthropic:claude-test"))
    airflow_conn("vllm_up", **scripted_llm.connection("openai-chat:qwen"))
    _configure(monkeypatch, model_chain="openai_down, anthropic_5xx, vllm_up")
    second_llm.script(llm.http_error(503, "overloaded"))
    scripted_llm.script(llm.output(TABLES), llm.output(SPEC), llm.output({"sql": SQL}))
    events: list[Event] = []

    result = _generate(shop, events)

    assert result.ok, result.reason
    assert result.planned_by == "model" and result.fallback is None
    # Each provider that is down was asked once: its breaker spared the later agents the wait.
    assert [r.status for r in second_llm.requests] == [503]
    assert len(scripted_llm.requests) == 3
    tripped = [e.message for e in events if "is unavailable" in e.message]
    assert len(tripped) == 2
    assert "openai_down" in tripped[0] and "anthropic_5xx" in tripped[1] and "HTTP 503" in tripped[1]


def test_with_the_whole_chain_down_the_offline_planner_plans(
    shop, second_llm, airflow_conn, monkeypatch
) -> None:
    for name in ("first", "second"):
        down = second_llm.connection()
        down["host"] = f"http://127.0.0.1:{_closed_port()}/v1"
        airflow_conn(name, **down)
    _configure(monkeypatch, model_chain="first, second")

    result = _generate(shop, [])

    assert result.ok, result.reason
    assert result.planned_by.startswith("offline (model unavailable: ")
    assert result.fallback is not None


def test_a_provider_answering_in_another_api_shape_is_named(
    shop, scripted_llm, airflow_conn, monkeypatch
) -> None:
    """An Anthropic connection pointed at a server that answers in the Chat Completions shape."""
    airflow_conn("claude", **scripted_llm.connection("anthropic:claude-test"))
    _configure(monkeypatch, llm_conn_id="claude")
    openai_shaped = json.dumps({"id": "chatcmpl-1", "object": "chat.completion", "choices": []}).encode()
    scripted_llm.script(*[llm.Reply(raw_body=openai_shaped)] * 6)
    events: list[Event] = []

    result = _generate(shop, events)

    # Not the model's plan: the offline planner's, with the reason naming the model and the fault.
    assert result.planned_by.startswith("offline (model unavailable: ")
    assert result.fallback is not None and "not in the shape of the API" in result.fallback
    warnings = [e.message for e in events if e.level == "warning"]
    assert any("anthropic:claude-test via connection 'claude'" in m for m in warnings)
