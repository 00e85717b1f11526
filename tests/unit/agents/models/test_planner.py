"""The planner agent with a scripted FunctionModel: structured output, repair of bad output."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic_ai.exceptions import UnexpectedModelBehavior

from airflow_ai_etl.agents.llm import LLM, AgentCall
from airflow_ai_etl.agents.llm_config import CallLimits
from airflow_ai_etl.agents.planner import PlanTask, plan
from airflow_ai_etl.spec import PipelineSpec, parse_spec
from airflow_ai_etl.validation.report import Finding, Severity


def _task(catalog, **kwargs) -> PlanTask:
    return PlanTask(request="copy orders nightly", catalogs=[catalog], today=dt.date(2026, 3, 1), **kwargs)


def test_plan_returns_the_models_spec_with_the_callers_request_and_dag_id(
    scripted, shop_catalog, make_spec_data
) -> None:
    model = scripted(make_spec_data())
    call = AgentCall()
    spec = plan(LLM.from_model("planner", model.model), _task(shop_catalog, dag_id="nightly_orders"), call)
    assert isinstance(spec, PipelineSpec)
    assert [s.id for s in spec.steps] == ["load_orders", "total"]
    assert spec.dag_id == "nightly_orders"
    assert spec.request == "copy orders nightly"
    assert call.usage.requests == 1
    assert "customer_id" in model.prompt_text()  # the schema was passed on
    # The output tool is bound to the spec's JSON schema.
    assert model.infos[0].output_tools[0].parameters_json_schema["title"] == "PipelineSpec"


def test_malformed_json_and_schema_violations_are_sent_back_and_repaired(
    scripted, shop_catalog, make_spec_data
) -> None:
    bad_cron = {**make_spec_data(), "schedule": "every night"}
    model = scripted('{"dag_id": "orders_copy", "steps": [', bad_cron, make_spec_data())
    call = AgentCall()
    spec = plan(
        LLM.from_model("planner", model.model, CallLimits(output_retries=2)), _task(shop_catalog), call
    )
    assert spec.schedule == "0 2 * * *"
    assert call.usage.requests == 3
    # The validation error about the schedule went back to the model.
    assert "every night" in model.prompt_text(2)


def test_output_that_never_fits_raises_after_the_retry_budget(scripted, shop_catalog) -> None:
    model = scripted({"dag_id": "x"}, {"dag_id": "x"})
    call = AgentCall()
    with pytest.raises(UnexpectedModelBehavior):
        plan(LLM.from_model("planner", model.model, CallLimits(output_retries=1)), _task(shop_catalog), call)
    assert call.usage.requests == 2  # counted even though the call failed


def test_repair_passes_the_previous_spec_and_findings(scripted, shop_catalog, make_spec_data) -> None:
    previous = parse_spec(make_spec_data())
    finding = Finding(
        severity=Severity.ERROR,
        code="schema.unknown_table",
        message="no table analytics.orders",
        step_id="load_orders",
        field="target.table",
    )
    fixed = make_spec_data()
    fixed["steps"][0]["target"]["table"] = "public.orders_copy"
    model = scripted(fixed)
    spec = plan(
        LLM.from_model("planner", model.model),
        _task(shop_catalog, previous=previous, findings=[finding]),
        AgentCall(),
    )
    assert spec.step("load_orders").target.table == "public.orders_copy"
    sent = model.prompt_text()
    assert "schema.unknown_table" in sent and "analytics.orders" in sent
