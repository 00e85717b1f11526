"""Fixtures for the model-facing agents' unit tests: scripted pydantic-ai FunctionModels.

A script is a list of replies, one per model request, in order: a dict is a call of the output
tool with those arguments, a str is the output tool called with that raw text (e.g. broken JSON),
a ModelResponse is sent as is, an exception is raised (as the model client would), and a
callable gets (messages, info) and returns any of these.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from airflow_ai_etl.catalog.models import Column, ForeignKey, SchemaCatalog, Table


@dataclass
class ScriptedModel:
    replies: list[Any]
    requests: list[list[ModelMessage]] = field(default_factory=list)
    infos: list[AgentInfo] = field(default_factory=list)

    def _answer(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.requests.append(list(messages))
        self.infos.append(info)
        if not self.replies:
            raise AssertionError("the scripted model was asked more often than scripted")
        reply = self.replies.pop(0)
        if callable(reply) and not isinstance(reply, type):
            reply = reply(messages, info)
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, ModelResponse):
            return reply
        name = info.output_tools[0].name
        args = reply if isinstance(reply, str) else json.dumps(reply)
        return ModelResponse(parts=[ToolCallPart(name, args)])

    @property
    def model(self) -> FunctionModel:
        return FunctionModel(self._answer, model_name="scripted")

    def prompt_text(self, request_index: int = 0) -> str:
        """Everything sent in one request, as text (to check that data was passed on, not wording)."""
        return "\n".join(str(part) for msg in self.requests[request_index] for part in msg.parts)


class Scripts:
    """The `scripted` fixture: `scripted(*replies)` makes a model; helpers build special replies."""

    def __call__(self, *replies: Any) -> ScriptedModel:
        return ScriptedModel(list(replies))

    @staticmethod
    def tool_call(name: str, args: dict[str, Any]) -> ModelResponse:
        return ModelResponse(parts=[ToolCallPart(name, json.dumps(args))])

    @staticmethod
    def text(content: str) -> ModelResponse:
        return ModelResponse(parts=[TextPart(content)])


@pytest.fixture
def scripted() -> Scripts:
    return Scripts()


@pytest.fixture
def shop_catalog() -> SchemaCatalog:
    customers = Table(
        name="customers",
        schema_name="public",
        columns=[Column(name="id", type="integer", nullable=False), Column(name="name", type="text")],
        primary_key=["id"],
    )
    orders = Table(
        name="orders",
        schema_name="public",
        columns=[
            Column(name="order_id", type="integer", nullable=False),
            Column(name="customer_id", type="integer"),
            Column(name="amount", type="numeric(12,2)"),
            Column(name="updated_at", type="timestamp"),
        ],
        primary_key=["order_id"],
        foreign_keys=[ForeignKey(columns=["customer_id"], ref_table="public.customers", ref_columns=["id"])],
    )
    return SchemaCatalog(
        conn_id="shop_pg", dialect="postgres", default_schema="public", tables=[customers, orders]
    )


def spec_data(sql: str = "SELECT order_id, amount FROM public.orders", **extra: Any) -> dict[str, Any]:
    return {
        "dag_id": "orders_copy",
        "start_date": "2026-01-01",
        "schedule": "0 2 * * *",
        "steps": [
            {
                "id": "load_orders",
                "kind": "transfer",
                "source": {"conn_id": "shop_pg", "sql": sql},
                "target": {"conn_id": "dwh", "table": "analytics.orders"},
            },
            {
                "id": "total",
                "kind": "sql",
                "conn_id": "dwh",
                "sql": "INSERT INTO analytics.totals SELECT sum(amount) FROM analytics.orders",
                "depends_on": ["load_orders"],
            },
        ],
        **extra,
    }


@pytest.fixture
def make_spec_data() -> Callable[..., dict[str, Any]]:
    return spec_data
