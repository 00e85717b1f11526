"""The SQL expert agent: writes and repairs the SQL of one step, in the dialect of its connection.

It works on one SQL field at a time (a `sql` step's statement, a transfer's `source.sql`), with
the grounding tools (catalog look-ups, SQL checks, read-only dry runs) when it is given them.
Its answer is bound to the spec's own `Sql` type, so a statement with Jinja markers or a file
name is sent back for another try before it ever reaches the spec.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from airflow_ai_etl.agents.planner import findings_section, schema_section
from airflow_ai_etl.agents.prompting import data_block, load_prompt
from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.spec import PipelineSpec
from airflow_ai_etl.spec.models import Sql
from airflow_ai_etl.steps import registry
from airflow_ai_etl.steps.base import StepSql
from airflow_ai_etl.validation.report import Finding

if TYPE_CHECKING:
    from pydantic_ai import Tool

    from airflow_ai_etl.agents.llm import LLM, AgentCall

#: One SQL statement in a spec: where it is (`field` as validation findings name it) and where it runs.
SqlField = StepSql


def sql_fields(spec: PipelineSpec) -> list[SqlField]:
    """Every SQL statement of the spec the expert may write, in step order."""
    return [field for step in spec.steps for field in registry.kind_of(step).sql_fields(step)]


def with_sql(spec: PipelineSpec, field: SqlField, sql: str) -> PipelineSpec:
    """A copy of the spec with one statement replaced (validated on assignment)."""
    updated = spec.model_copy(deep=True)
    step = updated.step(field.step_id)
    registry.kind_of(step).set_sql(step, field.field, sql)
    return updated


class SqlTask(BaseModel):
    """One statement to write or repair."""

    model_config = ConfigDict(extra="forbid")

    step_id: str
    field: str
    conn_id: str
    dialect: str = Field(description="sqlglot dialect name; '' when unknown (generic SQL).")
    sql: str = Field(description="The current statement (the planner's draft, or the one to repair).")
    purpose: str = Field(description="What the step is for: its description and the pipeline's request.")
    catalog: SchemaCatalog | None = None
    findings: list[Finding] = Field(default_factory=list)


class SqlAnswer(BaseModel):
    """The statement, as the spec will hold it."""

    sql: Sql


def _prompt(task: SqlTask) -> str:
    dialect = task.dialect or "generic ANSI SQL (the dialect is unknown)"
    parts = [
        f"## Step\n{task.step_id} (field {task.field}) on connection '{task.conn_id}', dialect: {dialect}",
        f"## Purpose\n{data_block('purpose', task.purpose)}",
        f"## Current statement\n{data_block('statement', task.sql)}",
    ]
    if task.catalog is not None:
        parts.append(f"## Schema\n{data_block('schema', schema_section([task.catalog]))}")
    if task.findings:
        parts.append(f"## Findings to fix\n{data_block('findings', findings_section(task.findings))}")
    else:
        parts.append("## Task\nCheck the statement and return it, corrected where it is wrong.")
    return "\n\n".join(parts)


def write_sql(llm: LLM, task: SqlTask, call: AgentCall, *, tools: Sequence[Tool[Any]] = ()) -> str:
    """The statement the model settles on. Raises pydantic-ai's errors like `planner.plan`."""
    # Imported here: the offline path imports this module (the reflector's SQL fields) without a
    # model library.
    from airflow_ai_etl.agents.llm import run_agent

    agent = llm.create_agent(SqlAnswer, instructions=load_prompt("sql_expert"), tools=tools)
    return run_agent(agent, _prompt(task), call).sql
