"""Generations whose planner is a scripted (and, if asked, priced) model answering one transfer spec.

Shared by the telemetry tests (ClickHouse rows, StatsD metrics): what they check is where the
generation's model calls, tokens and cost are reported, not the generation itself.
"""

from __future__ import annotations

import json

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from airflow_ai_etl.agents.llm import LLM
from airflow_ai_etl.agents.orchestrator import GenerationResult, generate
from tests.unit.agents.offline.conftest import TODAY, shop_catalog, validation_context

#: `[ai_etl] model_prices` for the scripted model: USD per million tokens.
PRICES = {"function:scripted": {"input_per_mtok": 1000, "output_per_mtok": 2000}}

SPEC = {
    "dag_id": "orders_nightly",
    "start_date": "2026-01-01",
    "schedule": "0 2 * * *",
    "steps": [
        {
            "id": "load_orders",
            "kind": "transfer",
            "source": {"conn_id": "shop_pg", "sql": "SELECT order_id, amount FROM public.orders"},
            "target": {"conn_id": "shop_pg", "table": "public.orders_copy"},
            "mode": "replace",
            "create_target": True,
        }
    ],
}


def _spec_reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, json.dumps(SPEC))])


def scripted_planner() -> LLM:
    """The planner as a scripted model (`function:scripted`) that answers SPEC whatever is asked."""
    return LLM.from_model("planner", FunctionModel(_spec_reply, model_name="scripted"))


def price_scripted_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set `[ai_etl] model_prices` so the scripted model's calls cost PRICES."""
    monkeypatch.setenv("AIRFLOW__AI_ETL__MODEL_PRICES", json.dumps(PRICES))


def generate_with(planner: LLM, request: str) -> GenerationResult:
    """Generate `request` over the shop catalog with `planner`, validated, not a dry run."""
    catalogs = [shop_catalog()]
    return generate(
        request,
        catalogs,
        today=TODAY,
        agent_llms={"planner": planner},
        tools=[],
        context=validation_context(catalogs),
        dry_run=False,
    )
