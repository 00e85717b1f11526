"""Read-only, time- and row-limited tools the agents call to ground their work in the real schemas.

The tools as a model sees them (pydantic-ai `Tool`s) are `tools.registry`; it is not imported
here, so the offline path and the QA agent use the tools without loading a model library.
"""

from airflow_ai_etl.agents.tools.catalog_tools import (
    check_spec,
    find_join_path,
    get_table_schema,
    list_connections,
    list_tables,
)
from airflow_ai_etl.agents.tools.context import HookGetter, ToolContext, ToolError, airflow_hook
from airflow_ai_etl.agents.tools.database_tools import column_profile, explain_sql, sample_rows
from airflow_ai_etl.agents.tools.result import ToolResult
from airflow_ai_etl.agents.tools.sql_tools import transpile_sql, validate_sql

__all__ = [
    "HookGetter",
    "ToolContext",
    "ToolError",
    "ToolResult",
    "airflow_hook",
    "check_spec",
    "column_profile",
    "explain_sql",
    "find_join_path",
    "get_table_schema",
    "list_connections",
    "list_tables",
    "sample_rows",
    "transpile_sql",
    "validate_sql",
]
