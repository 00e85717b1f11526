"""The contrast set's catalogs and a counting planner model for the cache's tests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

from airflow_ai_etl.catalog.models import SchemaCatalog
from tests.unit.agents.offline.conftest import shop_catalog, warehouse_catalog

CONTRAST_PAIRS = Path(__file__).with_name("contrast_pairs.yaml")


def contrast_pairs() -> dict[str, list[tuple[str, str]]]:
    data = yaml.safe_load(CONTRAST_PAIRS.read_text(encoding="utf-8"))
    return {kind: [(a, b) for a, b in data[kind]] for kind in ("hit", "miss")}


def contrast_catalogs() -> list[SchemaCatalog]:
    return [shop_catalog(), warehouse_catalog()]


@dataclass
class CountingModel:
    """A planner model that answers `answer` (a spec as a dict) and counts the calls it gets."""

    answer: dict[str, Any]
    calls: int = 0
    prompts: list[str] = field(default_factory=list)

    def _reply(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.calls += 1
        self.prompts.append(str(messages[-1].parts[-1]))
        tool = info.output_tools[0].name
        return ModelResponse(
            parts=[ToolCallPart(tool, json.dumps(self.answer))],
            usage=RequestUsage(input_tokens=1000, output_tokens=200),
        )

    @property
    def model(self) -> FunctionModel:
        return FunctionModel(self._reply, model_name="counting")


@pytest.fixture
def catalogs() -> list[SchemaCatalog]:
    return contrast_catalogs()
