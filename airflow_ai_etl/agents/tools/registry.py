"""The tools as pydantic-ai `Tool`s bound to one ToolContext, for an agent's function calling."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any, cast

from pydantic_ai import Tool
from pydantic_ai._function_schema import FunctionSchema  # the type of Tool(function_schema=...)

from airflow_ai_etl.agents.tools.catalog_tools import (
    check_spec,
    find_join_path,
    get_table_schema,
    list_connections,
    list_tables,
)
from airflow_ai_etl.agents.tools.context import ToolContext
from airflow_ai_etl.agents.tools.database_tools import column_profile, explain_sql, sample_rows
from airflow_ai_etl.agents.tools.result import ToolResult
from airflow_ai_etl.agents.tools.sql_tools import transpile_sql, validate_sql

#: Every tool, in the order an agent is shown them.
TOOLS: tuple[Callable[..., ToolResult], ...] = (
    list_connections,
    list_tables,
    get_table_schema,
    find_join_path,
    sample_rows,
    column_profile,
    validate_sql,
    explain_sql,
    transpile_sql,
    check_spec,
)
#: Tools that query a database: pydantic-ai stops waiting a little after the database would have.
_DATABASE_TOOLS = frozenset({sample_rows, column_profile, explain_sql})


def _bound(fn: Callable[..., ToolResult], ctx: ToolContext) -> Callable[..., ToolResult]:
    """`fn` with `ctx` filled in, and the signature the model sees (the context is not a parameter).

    Annotations are resolved here, in the tool's own module: pydantic-ai reads them from the
    wrapper, whose module does not import the names they use.
    """
    body = inspect.unwrap(fn)
    hints = typing.get_type_hints(body)
    parameters = [
        p.replace(annotation=hints.get(name, p.annotation))
        for name, p in inspect.signature(body).parameters.items()
    ][1:]

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> ToolResult:
        return fn(ctx, *args, **kwargs)

    del call.__wrapped__
    call.__signature__ = inspect.Signature(parameters, return_annotation=ToolResult)  # type: ignore[attr-defined]
    call.__annotations__ = {**{p.name: p.annotation for p in parameters}, "return": ToolResult}
    return call


@functools.cache
def _schema(fn: Callable[..., ToolResult]) -> FunctionSchema:
    """The tool's argument schema, built once per tool: building it (JSON schema, validator) costs
    ~10 ms a tool, and every generation binds the tools to a new context."""
    return Tool(_bound(fn, cast(ToolContext, None)), takes_ctx=False, name=fn.__name__).function_schema


def agent_tools(ctx: ToolContext) -> list[Tool[Any]]:
    """The read-only tools over `ctx`, ready for `pydantic_ai.Agent(tools=...)`."""
    tools: list[Tool[Any]] = []
    for fn in TOOLS:
        call = _bound(fn, ctx)
        tools.append(
            Tool(
                call,
                takes_ctx=False,
                name=fn.__name__,
                timeout=ctx.timeout_s * 2 + 5 if fn in _DATABASE_TOOLS else None,
                function_schema=dataclasses.replace(_schema(fn), function=call),
            )
        )
    return tools
