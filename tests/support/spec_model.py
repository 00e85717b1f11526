"""A zero-latency scripted model: a pydantic-ai FunctionModel that answers at once with a prepared spec.

Asked as the planner (output bound to PipelineSpec) it returns the spec; asked as the SQL expert it
returns the statement of the step it is asked about, as the spec has it. Nothing is sent anywhere,
so a generation run with it measures everything but the model. pydantic-ai counts (estimated)
tokens for FunctionModel calls, so usage is reported as for a real model.

Shared by the eval tests and benchmarks/generation.py; import it as `tests.support.spec_model`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from airflow_ai_etl.agents.llm import LLM
from airflow_ai_etl.agents.orchestrator import PLANNER, SQL_EXPERT
from airflow_ai_etl.agents.sql_expert import sql_fields
from airflow_ai_etl.spec import PipelineSpec, spec_to_data

_STEP = re.compile(r"## Step\n(\w+) \(field ([\w.]+)\)")


def _prompt(messages: list[ModelMessage]) -> str:
    return "\n".join(
        str(part.content)
        for message in messages
        if isinstance(message, ModelRequest)
        for part in message.parts
        if isinstance(part, UserPromptPart)
    )


def spec_model(spec: PipelineSpec) -> FunctionModel:
    data = spec_to_data(spec)
    statements = {(f.step_id, f.field): f.sql for f in sql_fields(spec)}

    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        tool = info.output_tools[0]
        if "steps" in tool.parameters_json_schema.get("properties", {}):
            args: dict[str, Any] = data
        else:
            found = _STEP.search(_prompt(messages))
            if found is None:
                raise AssertionError("the scripted model was asked something other than a plan or SQL")
            args = {"sql": statements[(found.group(1), found.group(2))]}
        return ModelResponse(parts=[ToolCallPart(tool.name, json.dumps(args))])

    return FunctionModel(answer, model_name="scripted-spec")


def spec_llms(spec: PipelineSpec) -> dict[str, LLM]:
    """`agent_llms` for `generate`: the planner and the SQL expert both on the scripted model."""
    model = spec_model(spec)
    return {agent: LLM.from_model(agent, model) for agent in (PLANNER, SQL_EXPERT)}
