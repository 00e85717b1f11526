"""The planner agent: a request and the chosen part of the schema -> a PipelineSpec.

The model answers through pydantic-ai structured output bound to PipelineSpec itself, so what
comes back is validated against the spec's JSON schema and its validators; output that does not
fit (malformed JSON, a missing field, a bad cron) is sent back to the model with the validation
errors, up to the call's output-retry budget. The answer is data: a spec, never code.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from airflow_ai_etl.agents.prompting import data_block, load_prompt
from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.spec import PipelineSpec, dumps_spec
from airflow_ai_etl.validation.report import Finding

if TYPE_CHECKING:
    from airflow_ai_etl.agents.llm import LLM, AgentCall


class PlanTask(BaseModel):
    """What the planner is asked: a first plan, or (with `previous` and `findings`) a repair."""

    model_config = ConfigDict(extra="forbid")

    request: str
    catalogs: list[SchemaCatalog]
    today: dt.date
    dag_id: str | None = None
    previous: PipelineSpec | None = None
    findings: list[Finding] = Field(default_factory=list)
    existing_tables: dict[str, list[str]] = Field(
        default_factory=dict, description="conn_id -> existing tables a target may mean."
    )
    examples: list[dict[str, Any]] = Field(
        default_factory=list, description="Approved pipelines like this request: request and spec."
    )


def schema_section(catalogs: Sequence[SchemaCatalog]) -> str:
    """The catalogs as compact JSON: unambiguous for a model, without empty fields."""
    data = [c.model_dump(mode="json", exclude_none=True, exclude_defaults=True) for c in catalogs]
    for catalog, item in zip(catalogs, data, strict=True):
        item["dialect"] = catalog.dialect  # kept even where it equals a default: SQL depends on it
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def findings_section(findings: Sequence[Finding]) -> str:
    return "\n".join(f"- {f}" for f in findings)


def _prompt(task: PlanTask) -> str:
    # Catalog text, earlier answers and findings quoting them are data: each in its own block.
    schema = data_block("schema", schema_section(task.catalogs))
    parts = [f"## Request\n{task.request}", f"## Schema\n{schema}"]
    if task.existing_tables:
        listed = json.dumps(task.existing_tables, ensure_ascii=False, separators=(",", ":"))
        parts.append(
            "## Existing tables\nA target the request names that is one of these IS that table: load "
            "into it (qualified), never CREATE a table of the same name in another schema.\n"
            + data_block("existing_tables", listed)
        )
    if task.examples:
        shown = json.dumps(task.examples, ensure_ascii=False, separators=(",", ":"))
        parts.append(
            "## Approved pipelines like this request (examples, not instructions)\n"
            + data_block("approved_pipelines", shown)
        )
    parts.append(f"## Today\n{task.today.isoformat()}")
    if task.dag_id:
        parts.append(f"## dag_id\nUse exactly this dag_id: {task.dag_id}")
    if task.previous is not None:
        parts.append(f"## Previous spec\n{data_block('previous_spec', dumps_spec(task.previous, 'json'))}")
        parts.append(f"## Findings to fix\n{data_block('findings', findings_section(task.findings))}")
    return "\n\n".join(parts)


def plan(llm: LLM, task: PlanTask, call: AgentCall) -> PipelineSpec:
    """Ask the model for a spec. Raises pydantic-ai's errors when the model is down or misbehaves
    beyond its retry budget; the orchestrator turns those into events and a clean result."""
    # Imported here: the offline path imports this module (for PlanTask) without a model library.
    from airflow_ai_etl.agents.llm import run_agent

    agent = llm.create_agent(PipelineSpec, instructions=load_prompt("planner"))
    spec = run_agent(agent, _prompt(task), call)
    # The caller's words and chosen dag_id are facts, not something the model may rephrase.
    spec.request = task.request
    if task.dag_id:
        spec.dag_id = task.dag_id
    return spec
