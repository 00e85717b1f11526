"""The orchestrator over HTTP: the real openai client, through a `pydanticai` Airflow connection, talks
to the scripted OpenAI-compatible server; validation and dry runs go to a real PostgreSQL database.

Each test scripts the model's answers in the order the agents ask (schema analyst, planner, SQL
expert per statement, then repairs) and asserts on the result: spec, report, events, usage.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from airflow_ai_etl.agents.events import Event
from airflow_ai_etl.agents.llm_config import LLMChoice
from airflow_ai_etl.agents.orchestrator import generate
from airflow_ai_etl.render import read_header
from airflow_ai_etl.spec import spec_hash
from tests.support import scripted_llm as llm

pytestmark = pytest.mark.integration

REQUEST = "every night at 2 copy orders into analytics.orders_copy"
GOOD_SQL = (
    "SELECT o.order_id, o.amount, c.name AS customer_name "
    "FROM public.orders AS o JOIN public.customers AS c ON c.id = o.customer_id"
)
HALLUCINATED_SQL = GOOD_SQL.replace("c.name AS customer_name", "c.customer_name")


def spec_answer(sql: str = GOOD_SQL, **changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "dag_id": "orders_copy",
        "description": "Nightly copy of orders with customer names",
        "start_date": "2026-01-01",
        "schedule": "0 2 * * *",
        "steps": [
            {
                "id": "load_orders",
                "kind": "transfer",
                "source": {"conn_id": "shop_pg", "sql": sql},
                "target": {"conn_id": "shop_pg", "table": "analytics.orders_copy"},
                "mode": "replace",
            }
        ],
    }
    return {**spec, **changes}


def tables_answer() -> llm.Reply:
    """The schema analyst's pick among the search's candidates."""
    return llm.output({"response": ["shop_pg:public.orders", "shop_pg:public.customers"]})


def sql_answer(sql: str) -> llm.Reply:
    return llm.output({"sql": sql})


def run(shop: Any, events: list[Event] | None = None, **kwargs: Any):
    return generate(
        REQUEST,
        [shop],
        today=dt.date(2026, 1, 1),
        tools=[],
        on_event=events.append if events is not None else None,
        **kwargs,
    )


def agents_of(events: list[Event]) -> list[str]:
    return list(dict.fromkeys(e.agent for e in events))


def ends(events: list[Event]) -> list[Event]:
    """What came of each step (a step's start event only says it began)."""
    return [e for e in events if e.phase == "end"]


@pytest.mark.parametrize("model", ["openai-chat:gpt-test", "openai:gpt-test"])
def test_good_answers_give_a_valid_rendered_pipeline(shop, scripted_llm, llm_config, model: str) -> None:
    llm_config(model)
    scripted_llm.script(tables_answer(), llm.output(spec_answer()), sql_answer(GOOD_SQL))
    events: list[Event] = []

    result = run(shop, events)

    assert result.ok, result.reason
    assert result.spec is not None and result.spec.request == REQUEST
    assert result.report.ok
    header = read_header(result.source or "")
    assert header is not None and header.spec_sha256 == spec_hash(result.spec)
    assert agents_of(events) == ["schema_analyst", "planner", "sql_expert", "qa_validator", "renderer"]
    assert events == result.events
    qa_event = next(e for e in ends(events) if e.agent == "qa_validator")
    assert [d["outcome"] for d in qa_event.data["dry_runs"]] == ["passed"]  # tried on the real database
    planner_event = next(e for e in ends(events) if e.agent == "planner")
    assert (planner_event.input_tokens, planner_event.output_tokens) == (100, 20)
    usage = {u.agent: u for u in result.usage}
    assert usage["planner"].requests == 1 and usage["sql_expert"].requests == 1
    assert usage["schema_analyst"].requests == 1 and usage["schema_analyst"].input_tokens == 100
    assert usage["planner"].cost_usd is None  # gpt-test has no known price
    assert result.rounds == 0
    assert scripted_llm.remaining == 0 and scripted_llm.exhausted == 0
    # Only the two endpoints of the OpenAI API were called, with the connection's model.
    assert {r.body["model"] for r in scripted_llm.requests} == {"gpt-test"}
    json.loads(result.model_dump_json())  # the whole result is JSON-serialisable


def test_models_per_agent_from_config_and_per_call(shop, scripted_llm, llm_config, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW__AI_ETL__CACHE_ENABLED", "false")  # the same request thrice: each must ask
    llm_config(sql_expert_model="openai-chat:gpt-sql")
    scripted_llm.script(tables_answer(), llm.output(spec_answer()), sql_answer(GOOD_SQL))
    assert run(shop).ok
    assert [r.body["model"] for r in scripted_llm.requests] == ["gpt-test", "gpt-test", "gpt-sql"]

    scripted_llm.script(tables_answer(), llm.output(spec_answer()), sql_answer(GOOD_SQL))
    assert run(shop, llm=LLMChoice(model="openai-chat:gpt-call")).ok
    assert [r.body["model"] for r in scripted_llm.requests[3:]] == ["gpt-call"] * 3

    scripted_llm.script(tables_answer(), llm.output(spec_answer()), sql_answer(GOOD_SQL))
    per_agent = {"sql_expert": LLMChoice(model="openai-chat:gpt-sql-call")}
    assert run(shop, llm=LLMChoice(model="openai-chat:gpt-call"), agent_llms=per_agent).ok
    assert [r.body["model"] for r in scripted_llm.requests[6:]] == ["gpt-call", "gpt-call", "gpt-sql-call"]


def test_cost_is_recorded_for_a_priced_model(shop, scripted_llm, llm_config) -> None:
    llm_config("openai-chat:gpt-4o")
    scripted_llm.script(tables_answer(), llm.output(spec_answer()), sql_answer(GOOD_SQL))
    result = run(shop)
    assert result.ok, result.reason
    planner = next(u for u in result.usage if u.agent == "planner")
    assert planner.cost_usd is not None and planner.cost_usd > 0


def test_sql_expert_uses_the_grounding_tools(shop, scripted_llm, llm_config) -> None:
    llm_config()
    scripted_llm.script(
        tables_answer(),
        llm.output(spec_answer()),
        llm.tool_call("get_table_schema", {"conn_id": "shop_pg", "table": "public.customers"}),
        sql_answer(GOOD_SQL),
    )
    result = generate(REQUEST, [shop], today=dt.date(2026, 1, 1))  # default tools over these catalogs

    assert result.ok, result.reason
    tool_request, answer_request = scripted_llm.requests[2:]
    offered = {t["function"]["name"] for t in tool_request.body["tools"]}
    assert {"get_table_schema", "validate_sql", "final_result"} <= offered
    tool_results = [m for m in answer_request.body["messages"] if m["role"] == "tool"]
    assert len(tool_results) == 1 and "email" in tool_results[0]["content"]  # the tool's answer went back


def test_malformed_json_is_sent_back_and_repaired(shop, scripted_llm, llm_config) -> None:
    llm_config()
    scripted_llm.script(
        tables_answer(),
        llm.raw_output('{"dag_id": "orders_copy", "steps": [{"id": '),
        llm.output(spec_answer()),
        sql_answer(GOOD_SQL),
    )
    result = run(shop)
    assert result.ok, result.reason
    assert {u.agent: u.requests for u in result.usage}["planner"] == 2


def test_output_violating_the_schema_is_repaired(shop, scripted_llm, llm_config) -> None:
    llm_config()
    scripted_llm.script(
        tables_answer(),
        llm.output(spec_answer(schedule="every night at two")),
        llm.output(spec_answer()),
        sql_answer(GOOD_SQL),
    )
    result = run(shop)
    assert result.ok, result.reason
    assert result.spec is not None and result.spec.schedule == "0 2 * * *"
    # The second planner request carried the validation error back to the model.
    assert "every night at two" in scripted_llm.requests[2].text


def test_hallucinated_column_is_repaired_by_the_sql_expert(shop, scripted_llm, llm_config) -> None:
    llm_config()
    scripted_llm.script(
        tables_answer(),
        llm.output(spec_answer(HALLUCINATED_SQL)),
        sql_answer(HALLUCINATED_SQL),  # the first SQL pass misses it
        sql_answer(GOOD_SQL),  # the repair, after QA found it
    )
    events: list[Event] = []
    result = run(shop, events)

    assert result.ok, result.reason
    assert result.rounds == 1
    assert result.spec is not None
    assert result.spec.step("load_orders").source.sql == GOOD_SQL
    qa_events = [e for e in ends(events) if e.agent == "qa_validator"]
    assert qa_events[0].data["codes"] == ["sql.unknown_column"] and qa_events[-1].level == "info"
    reflector = next(e for e in ends(events) if e.agent == "reflector")
    assert reflector.data["sql"] == ["load_orders.source.sql"] and reflector.data["planner"] == []
    assert "sql.unknown_column" in scripted_llm.requests[-1].text  # the finding went to the SQL expert


def test_same_findings_coming_back_stop_the_repair_early(shop, scripted_llm, llm_config) -> None:
    llm_config()
    scripted_llm.script(
        tables_answer(),
        llm.output(spec_answer(HALLUCINATED_SQL)),
        sql_answer(HALLUCINATED_SQL),
        sql_answer(HALLUCINATED_SQL),  # the "repair" changes nothing
    )
    events: list[Event] = []
    result = run(shop, events)

    assert not result.ok and result.source is None
    assert "same findings" in (result.reason or "")
    assert result.rounds == 1
    assert result.spec is not None and result.report.codes() == ["sql.unknown_column"]
    assert events[-1].level == "error"
    assert scripted_llm.remaining == 0 and scripted_llm.exhausted == 0  # no further round was asked for


def test_refusal_ends_as_a_clean_failed_result(shop, scripted_llm, llm_config) -> None:
    llm_config()
    scripted_llm.script(tables_answer(), llm.refusal())
    events: list[Event] = []
    result = run(shop, events)

    assert not result.ok and result.spec is None
    assert "planner" in (result.reason or "") and "ContentFilterError" in (result.reason or "")
    assert any(e.agent == "planner" and e.level == "error" for e in events)
    assert {u.agent: u.requests for u in result.usage}["planner"] == 1


def test_rate_limit_and_server_errors_are_retried(shop, scripted_llm, llm_config) -> None:
    llm_config()
    scripted_llm.script(
        tables_answer(),
        llm.http_error(429),
        llm.output(spec_answer()),
        llm.http_error(500),
        sql_answer(GOOD_SQL),
    )
    result = run(shop)
    assert result.ok, result.reason
    assert [r.status for r in scripted_llm.requests] == [200, 429, 200, 500, 200]


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param([llm.http_error(503), llm.http_error(503)], id="5xx"),
        pytest.param(
            [llm.slow(llm.output(spec_answer()), 5), llm.slow(llm.output(spec_answer()), 5)], id="timeout"
        ),
    ],
)
def test_model_down_falls_back_to_the_offline_planner(shop, scripted_llm, llm_config, failure) -> None:
    llm_config(llm_timeout="0.5")
    scripted_llm.script(tables_answer(), *failure)
    events: list[Event] = []
    result = run(shop, events)

    fallback = [e for e in events if e.agent == "offline_planner"]
    assert fallback and fallback[0].level == "warning" and "unavailable" in fallback[0].message
    assert result.ok, result.reason
    assert result.spec is not None and "offline-planner" in result.spec.tags
    assert scripted_llm.remaining == 0  # the retry (llm_max_retries=1) was made, then it gave up


def test_without_a_model_the_offline_planner_plans(shop, scripted_llm, monkeypatch) -> None:
    monkeypatch.delenv("AIRFLOW__AI_ETL__LLM_CONN_ID", raising=False)
    events: list[Event] = []
    result = run(shop, events)

    assert result.ok, result.reason
    assert events[0].agent == "schema_analyst"
    assert any(e.agent == "offline_planner" and "no LLM connection" in e.message for e in events)
    assert result.usage == []
    assert scripted_llm.requests == []


def test_user_errors_are_reported_not_raised(shop, scripted_llm, llm_config) -> None:
    llm_config()
    result = generate("   ", [shop])
    assert not result.ok and "empty" in (result.reason or "")
    result = generate(REQUEST, [shop], dag_id="no spaces allowed")
    assert not result.ok and "dag_id 'no spaces allowed'" in (result.reason or "")
    assert scripted_llm.requests == []


def test_a_rejected_key_fails_clearly_instead_of_planning_offline(shop, scripted_llm, llm_config) -> None:
    llm_config()
    scripted_llm.script(*[llm.http_error(401, "Incorrect API key provided")] * 4)
    events: list[Event] = []
    result = run(shop, events)

    assert not result.ok
    assert "401" in (result.reason or "")
    assert result.source is None
    assert not any(e.agent == "offline_planner" for e in events)
