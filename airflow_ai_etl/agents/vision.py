"""The vision agent: an ER-diagram image -> tables, columns, types and foreign keys, as data.

The model gets the image as an image part of the prompt (pydantic-ai `BinaryContent`) and must
answer with a `PictureSchema`; nothing it says is run. `agents/picture_spec.py` turns the schema
into CREATE TABLE steps, which are then validated like any draft.
"""

from __future__ import annotations

import time

from pydantic import BaseModel, Field
from pydantic_ai import BinaryContent

from airflow_ai_etl.agents.images import Image
from airflow_ai_etl.agents.llm import LLM, AgentCall
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
    prompt: list[str | BinaryContent] = [
        "Return the schema this ER diagram shows."
        + ("\n" + data_block("request", request) if request else ""),
        BinaryContent(data=image.data, media_type=image.media_type),
    ]
    # Not through llm.run_agent: its cache keys are text prompts, and an image is not one.
    try:
        return agent.run_sync(prompt, usage=call.usage, model=call.model).output
    finally:
        call.ended = time.perf_counter()
