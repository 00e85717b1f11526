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


def _cache_options() -> dict[str, Any]:
    """The LLM cache's and the budgets' options (cache.settings, budgets.settings read and check them)."""
    return {
        "cache_enabled": _option("Serve repeated model calls from the LLM cache.\n", "True", type_="boolean"),
        "cache_conn_id": _option(
            "`redis` connection of the LLM cache, shared by every process. Empty: an in-process LRU.\n",
            "",
            "redis_default",
        ),
        "cache_ttl": _option("Seconds a cached answer may be served.\n", "86400", type_="float"),
        "cache_max_entries": _option(
            "Most entries the cache keeps; the least recently used go first.\n", "100000", type_="integer"
        ),
        "cache_key_prefix": _option(
            "Prefix of the cache's Redis keys (deployments sharing one Redis use their own).\n",
            "ai_etl:cache:",
        ),
        "user_requests_per_minute": _option(
            "Generation requests one user may make per minute (0: no limit). Needs `cache_conn_id`.\n",
            "0",
            type_="integer",
        ),
        "user_tokens_per_day": _option(
            "Model tokens one user's requests may use per UTC day (0: no limit).\n", "0", type_="integer"
        ),
        "user_cost_per_day": _option(
            "USD one user's requests may cost per UTC day (0: no limit).\n", "0", type_="float"
        ),
        "model_budgets": _option(
            "Limits per model, as JSON: requests_per_minute, tokens_per_day, cost_per_day (USD).\n",
            "",
            '{"openai:gpt-5": {"requests_per_minute": 60, "tokens_per_day": 2000000, "cost_per_day": 50}}',
        ),
        "model_prices": _option(
            "Prices overriding genai-prices, as JSON: USD per million input and output tokens.\n",
            "",
            '{"openai:gpt-5": {"input_per_mtok": 1.25, "output_per_mtok": 10}}',
        ),
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
                    "value_summaries": _option(
                        "Most distinct values a text column may have for introspection to keep them "
                        "as its value summary (read-only, at most 2,000 rows per table, catalogs up to "
                        "200 tables, never columns named like secrets or personal data); 0 turns "
                        "sampling off.\n",
                        "20",
                        type_="integer",
                    ),
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
                    "deploy_target": _option(
                        "Where deploys publish DAG files: `local` (the dags folder) or `git` (a commit "
                        "pushed to the repository of `deploy_git_conn_id`, for gitSync / GitDagBundle).\n",
                        "local",
                        "git",
                    ),
                    "deploy_git_conn_id": _option(
                        "The `git` connection of the git deploy target: host = repository URL, "
                        "login/password or extra key_file/private_key, extra branch and subdir.\n",
                        "ai_etl_git",
                    ),
                    "deploy_git_clone_dir": _option(
                        "The git deploy target's own clone. Empty: $AIRFLOW_HOME/ai_etl/git/<conn_id>.\n",
                        "",
                        "/opt/airflow/ai_etl_git",
                    ),
                    "llm_output_retries": _option(
                        "Times a model is asked again when its output does not fit the schema.\n",
                        "2",
                        type_="integer",
                    ),
                    **_cache_options(),
                },
            }
        },
    }
