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


def _transform_and_image_options() -> dict[str, Any]:
    """Guarded Python transforms (transforms.settings reads them) and ER-diagram images (agents.images)."""
    return {
        "python_transform_imports": _option(
            "Modules a `python_transform` step's code may import (comma-separated). Everything else, "
            "and every dunder, file, exec or getattr-style builtin, is refused by the AST allowlist.\n",
            "pyarrow, pyarrow.compute, json, re, datetime, decimal, math",
        ),
        "python_transform_cpu_seconds": _option(
            "CPU seconds (RLIMIT_CPU) one sandboxed transform run may use.\n", "60", type_="integer"
        ),
        "python_transform_memory_mb": _option(
            "Address space (RLIMIT_AS) of one sandboxed transform run, in MiB.\n", "2048", type_="integer"
        ),
        "python_transform_timeout": _option(
            "Wall-clock seconds after which a sandboxed transform run is killed.\n", "120", type_="float"
        ),
        "image_max_mb": _option(
            "Largest ER-diagram image (`ai-etl generate --image`, the page's upload) accepted, in MiB.\n",
            "20",
            type_="float",
        ),
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


def _observability_options() -> dict[str, Any]:
    """Lifecycle events on Kafka (lifecycle/publisher.py reads them) and the page's lineage link."""
    return {
        "events_conn_id": _option(
            "`kafka` connection lifecycle events are published to (its extra is the producer config). "
            "Empty: no events.\n",
            "",
            "kafka_events",
        ),
        "lineage_url": _option(
            "Link from the page to a step's job in your lineage tool; {namespace} and {job} are filled "
            "in (URL-encoded). Empty: the page shows the names only.\n",
            "",
            "http://marquez:3000/lineage/job/{namespace}/{job}",
        ),
        "events_topic": _option("Topic of the lifecycle events.\n", "ai_etl.lifecycle"),
        "events_queue_size": _option(
            "Events a process holds while the broker is slow or down; more are dropped (and counted).\n",
            "10000",
            type_="integer",
        ),
        "events_flush_seconds": _option(
            "Longest a process waits at exit for its queued events (not at all when the brokers are down).\n",
            "2",
            type_="float",
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
                    "model_chain": _option(
                        "`pydanticai` connections to fail over to, in order, comma-separated: when an "
                        "agent's connection is down (refused, 5xx, time-outs, malformed answers), its "
                        "request goes to the next; when all are down, the offline planner plans. The "
                        "first is the default connection when `llm_conn_id` is empty. A connection "
                        'whose extra says `"server": "vllm"` gets vLLM\'s guided decoding.\n',
                        "",
                        "openai_conn, anthropic_conn, vllm_conn",
                    ),
                    **{
                        f"{agent}_{key}": _option(
                            f"Connection or model for the {agent.replace('_', ' ')} only "
                            f"(falls back to `{key}`).\n",
                            "",
                        )
                        for agent in ("schema_analyst", "planner", "sql_expert", "critic", "coder", "vision")
                        for key in ("llm_conn_id", "model")
                    },
                    "critic_count": _option(
                        "Critics that vote on each valid draft when a model is configured (0: none). "
                        "Each judges whether the draft does what the request asks and lists the "
                        "mismatches.\n",
                        "3",
                        type_="integer",
                    ),
                    "critic_conn_ids": _option(
                        "`pydanticai` connections for the critics, comma-separated, assigned in turn. "
                        "Empty: `critic_llm_conn_id`, then `llm_conn_id`.\n",
                        "",
                        "openai_conn, anthropic_conn, vllm_conn",
                    ),
                    "critic_agreement": _option(
                        "Share of critics that must agree; a draft below it is flagged (not blocked), "
                        "and goes back to the planner once with the mismatches.\n",
                        "0.66",
                        type_="float",
                    ),
                    "critic_timeout_seconds": _option(
                        "Seconds each critic may take (they are asked at once); one that takes longer "
                        "gives no answer (timeout) and counts as not agreeing.\n",
                        "60",
                        type_="float",
                    ),
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
                    "telemetry_conn_id": _option(
                        "`clickhouse` connection that receives telemetry: a row per run of the "
                        "package's data-moving tasks and per model call, in tables `ai_etl_task_runs` "
                        "and `ai_etl_llm_calls` created on first use. Written in the background; "
                        "empty: no telemetry.\n",
                        "",
                        "warehouse",
                    ),
                    **_cache_options(),
                    **_observability_options(),
                    **_transform_and_image_options(),
                },
            }
        },
    }
