"""Provider metadata read by Airflow's ProvidersManager (entry point `apache_airflow_provider`)."""

from __future__ import annotations

from typing import Any

from airflow_ai_etl import __version__


def _option(
    description: str, default: str, example: str | None = None, type_: str = "string"
) -> dict[str, Any]:
    return {
        "description": description,
        "version_added": "0.1.0",
        "type": type_,
        "example": example,
        "default": default,
    }


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-ai-etl",
        "name": "AI ETL",
        "description": (
            "Plain-language requests to validated, reviewable DAGs, and the operators that run them."
        ),
        "versions": [__version__],
        "plugins": [
            {"name": "ai_etl", "plugin-class": "airflow_ai_etl.plugins.plugin.AiEtlPlugin"},
        ],
        "operators": [
            {
                "integration-name": "AI ETL",
                "python-modules": [
                    "airflow_ai_etl.operators.transfer",
                    "airflow_ai_etl.operators.quality",
                    "airflow_ai_etl.operators.generate",
                    "airflow_ai_etl.operators.kafka",
                    "airflow_ai_etl.operators.files",
                    "airflow_ai_etl.operators.spark",
                ],
            }
        ],
        "hooks": [
            {"integration-name": "ClickHouse", "python-modules": ["airflow_ai_etl.hooks.clickhouse"]},
            {"integration-name": "Apache Spark", "python-modules": ["airflow_ai_etl.hooks.spark"]},
        ],
        "connection-types": [
            {
                "hook-class-name": "airflow_ai_etl.hooks.clickhouse.ClickHouseHook",
                "hook-name": "ClickHouse",
                "connection-type": "clickhouse",
                "ui-field-behaviour": {"relabeling": {"schema": "Database"}},
            }
        ],
        "config": {
            "ai_etl": {
                "description": "Options for airflow-ai-etl: which LLM each agent uses, and its limits.\n",
                "options": {
                    "llm_conn_id": _option(
                        "Default `pydanticai` connection for every agent. Empty: the offline planner.\n",
                        "",
                        "pydanticai_default",
                    ),
                    "model": _option(
                        "Default model id (overrides the connection's `model` extra).\n", "", "openai:gpt-5"
                    ),
                    **{
                        f"{agent}_{key}": _option(
                            f"Connection or model for the {agent.replace('_', ' ')} only "
                            f"(falls back to `{key}`).\n",
                            "",
                        )
                        for agent in ("schema_analyst", "planner", "sql_expert")
                        for key in ("llm_conn_id", "model")
                    },
                    "llm_timeout": _option("Seconds one model request may take.\n", "60", type_="float"),
                    "llm_max_retries": _option(
                        "Retries of a failed model request (429, 5xx, time-outs, malformed bodies); "
                        "each wait is announced as a progress event.\n",
                        "2",
                        type_="integer",
                    ),
                    "llm_budget_seconds": _option(
                        "Seconds of model time one generation may spend, all agents, requests, retries "
                        "and waits together. When it is spent, or a model is down, the generation "
                        "stops asking it and hands over to the offline planner (reported as a "
                        "fallback).\n",
                        "60",
                        type_="float",
                    ),
                    "store_url": _option(
                        "SQLAlchemy URL of the store (requests, drafts, events, deployments, usage, "
                        "audit log). Empty: the Airflow metadata database, in `ai_etl_` tables.\n",
                        "",
                        "postgresql+psycopg2://airflow@db/airflow",
                    ),
                    "llm_output_retries": _option(
                        "Times a model is asked again when its output does not fit the schema.\n",
                        "2",
                        type_="integer",
                    ),
                },
            }
        },
    }
