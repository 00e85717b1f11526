"""The vision agent: an ER-diagram image -> tables, columns, types and foreign keys, as data.

The model gets the image as an image part of the prompt (pydantic-ai `BinaryContent`) and must
answer with a `PictureSchema`; nothing it says is run. `agents/picture_spec.py` turns the schema
into CREATE TABLE steps, which are then validated like any draft.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from airflow_ai_etl.agents.images import Image
from airflow_ai_etl.agents.llm import LLM, AgentCall, run_agent
from airflow_ai_etl.agents.prompting import data_block, load_prompt

AGENT = "vision"


class PictureColumn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    type: str = Field(min_length=1, max_length=100, description="SQL type as written, e.g. varchar(255).")
    nullable: bool = True
    primary_key: bool = False


class PictureForeignKey(BaseModel):
    columns: list[str] = Field(min_length=1)
    references_table: str = Field(min_length=1, max_length=200)
    references_columns: list[str] = Field(min_length=1)


class PictureTable(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    columns: list[PictureColumn] = Field(min_length=1, max_length=500)
    foreign_keys: list[PictureForeignKey] = Field(default_factory=list)


class PictureSchema(BaseModel):
    """The schema an ER diagram shows."""

    tables: list[PictureTable] = Field(min_length=1, max_length=200)


def read_schema(image: Image, request: str, llm: LLM, call: AgentCall) -> PictureSchema:
    """Ask the vision model what schema `image` shows; `request` is the person's words about it."""
    agent = llm.create_agent(PictureSchema, instructions=load_prompt(AGENT))
    prompt = "Return the schema this ER diagram shows." + (
        "\n" + data_block("request", request) if request else ""
    )
    # Through run_agent like every agent: the LLM cache (keyed by the image's digest), the model's
    # budget and price, and the call's usage.
    return run_agent(agent, prompt, call, image=image)
