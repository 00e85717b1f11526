"""Provider metadata read by Airflow's ProvidersManager (entry point `apache_airflow_provider`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from airflow_ai_etl import __version__

#: (name, type, default, example, description) of every `[ai_etl]` option, in the order listed.
Option = tuple[str, str, str, str | None, str]

# fmt: off
OPTIONS: tuple[Option, ...] = (
    # Which model each agent uses, and its limits; the store, deploys and telemetry.
    ("llm_conn_id", "string", "", "pydanticai_default",
     "Default `pydanticai` connection for every agent. Empty: the offline planner."),
    ("model", "string", "", "openai:gpt-5", "Default model id (overrides the connection's `model` extra)."),
    ("model_chain", "string", "", "openai_conn, anthropic_conn, vllm_conn",
     "`pydanticai` connections to fail over to, in order, comma-separated: when an agent's connection "
     "is down (refused, 5xx, time-outs, malformed answers), its request goes to the next; when all are "
     "down, the offline planner plans. The first is the default connection when `llm_conn_id` is "
     'empty. A connection whose extra says `"server": "vllm"` gets vLLM\'s guided decoding.'),
    *(
        (f"{agent}_{key}", "string", "", None,
         f"Connection or model for the {agent.replace('_', ' ')} only (falls back to `{key}`).")
        for agent in ("schema_analyst", "planner", "sql_expert", "critic", "coder", "vision")
        for key in ("llm_conn_id", "model")
    ),
    ("critic_count", "integer", "3", None,
     "Critics that vote on each valid draft when a model is configured (0: none). Each judges whether "
     "the draft does what the request asks and lists the mismatches."),
    ("critic_conn_ids", "string", "", "openai_conn, anthropic_conn, vllm_conn",
     "`pydanticai` connections for the critics, comma-separated, assigned in turn. Empty: "
     "`critic_llm_conn_id`, then `llm_conn_id`."),
    ("critic_agreement", "float", "0.66", None,
     "Share of critics that must agree; a draft below it is flagged (not blocked), and goes back to "
     "the planner once with the mismatches."),
    ("critic_timeout_seconds", "float", "60", None,
     "Seconds each critic may take (they are asked at once); one that takes longer gives no answer "
     "(timeout) and counts as not agreeing."),
    ("llm_timeout", "float", "60", None, "Seconds one model request may take."),
    ("value_summaries", "integer", "20", None,
     "Most distinct values a text column may have for introspection to keep them as its value summary "
     "(read-only, base tables only, at most 2,000 rows per table, catalogs up to 200 tables, never "
     "columns named like secrets or personal data); 0 turns sampling off."),
    ("llm_max_retries", "integer", "2", None,
     "Retries of a failed model request (429, 5xx, time-outs, malformed bodies); each wait is "
     "announced as a progress event."),
    ("llm_budget_seconds", "float", "60", None,
     "Seconds of model time one generation may spend, all agents, requests, retries and waits "
     "together. When it is spent, or a model is down, the generation stops asking it and hands over to "
     "the offline planner (reported as a fallback)."),
    ("store_url", "string", "", "postgresql+psycopg2://airflow@db/airflow",
     "SQLAlchemy URL of the store (requests, drafts, events, deployments, usage, audit log). Empty: "
     "the Airflow metadata database, in `ai_etl_` tables."),
    ("deploy_target", "string", "local", "git",
     "Where deploys publish DAG files: `local` (the dags folder) or `git` (a commit pushed to the "
     "repository of `deploy_git_conn_id`, for gitSync / GitDagBundle)."),
    ("deploy_git_conn_id", "string", "ai_etl_git", None,
     "The `git` connection of the git deploy target: host = repository URL, login/password or extra "
     "key_file/private_key, extra branch and subdir."),
    ("deploy_git_clone_dir", "string", "", "/opt/airflow/ai_etl_git",
     "The git deploy target's own clone. Empty: $AIRFLOW_HOME/ai_etl/git/<conn_id>."),
    ("llm_output_retries", "integer", "2", None,
     "Times a model is asked again when its output does not fit the schema."),
    ("telemetry_conn_id", "string", "", "warehouse",
     "`clickhouse` connection that receives telemetry: a row per run of the package's data-moving "
     "tasks and per model call, in tables `ai_etl_task_runs` and `ai_etl_llm_calls` created on first "
     "use. Written in the background; empty: no telemetry."),
    # The LLM cache and the budgets (cache.settings and budgets.settings read and check them).
    ("cache_enabled", "boolean", "True", None, "Serve repeated model calls from the LLM cache."),
    ("cache_conn_id", "string", "", "redis_default",
     "`redis` connection of the LLM cache, shared by every process. Empty: an in-process LRU."),
    ("cache_ttl", "float", "86400", None, "Seconds a cached answer may be served."),
    ("cache_max_entries", "integer", "100000", None,
     "Most entries the cache keeps; the least recently used go first."),
    ("cache_key_prefix", "string", "ai_etl:cache:", None,
     "Prefix of the cache's Redis keys (deployments sharing one Redis use their own)."),
    ("user_requests_per_minute", "integer", "0", None,
     "Generation requests one user may make per minute (0: no limit). Needs `cache_conn_id`."),
    ("user_tokens_per_day", "integer", "0", None,
     "Model tokens one user's requests may use per UTC day (0: no limit)."),
    ("user_cost_per_day", "float", "0", None, "USD one user's requests may cost per UTC day (0: no limit)."),
    ("model_budgets", "string", "",
     '{"openai:gpt-5": {"requests_per_minute": 60, "tokens_per_day": 2000000, "cost_per_day": 50}}',
     "Limits per model, as JSON: requests_per_minute, tokens_per_day, cost_per_day (USD)."),
    ("model_prices", "string", "", '{"openai:gpt-5": {"input_per_mtok": 1.25, "output_per_mtok": 10}}',
     "Prices overriding genai-prices, as JSON: USD per million input and output tokens."),
    # Lifecycle events on Kafka (lifecycle/publisher.py reads them) and the page's lineage link.
    ("events_conn_id", "string", "", "kafka_events",
     "`kafka` connection lifecycle events are published to (its extra is the producer config). Empty: "
     "no events."),
    ("lineage_url", "string", "", "http://marquez:3000/lineage/job/{namespace}/{job}",
     "Link from the page to a step's job in your lineage tool; {namespace} and {job} are filled in "
     "(URL-encoded). Empty: the page shows the names only."),
    ("events_topic", "string", "ai_etl.lifecycle", None, "Topic of the lifecycle events."),
    ("events_queue_size", "integer", "10000", None,
     "Events a process holds while the broker is slow or down; more are dropped (and counted)."),
    ("events_flush_seconds", "float", "2", None,
     "Longest a process waits at exit for its queued events (not at all when the brokers are down)."),
    # Guarded Python transforms (transforms.settings) and ER-diagram images (agents.images).
    ("python_transform_imports", "string", "pyarrow, pyarrow.compute, json, re, datetime, decimal, math",
     None,
     "Modules a `python_transform` step's code may import (comma-separated). Everything else, and "
     "every dunder, file, exec or getattr-style builtin, is refused by the AST allowlist."),
    ("python_transform_cpu_seconds", "integer", "60", None,
     "CPU seconds (RLIMIT_CPU) one sandboxed transform run may use."),
    ("python_transform_memory_mb", "integer", "2048", None,
     "Address space (RLIMIT_AS) of one sandboxed transform run, in MiB."),
    ("python_transform_timeout", "float", "120", None,
     "Wall-clock seconds after which a sandboxed transform run is killed."),
    ("image_max_mb", "float", "20", None,
     "Largest ER-diagram image (`ai-etl generate --image`, the page's upload) accepted, in MiB."),
)
# fmt: on


def config_options(options: Iterable[Option] = OPTIONS) -> dict[str, dict[str, Any]]:
    """The `options` of the provider's config section: each as ProvidersManager reads it."""
    return {
        name: {
            "description": description + "\n",
            "version_added": "0.1.0",
            "type": type_,
            "example": example,
            "default": default,
        }
        for name, type_, default, example, description in options
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
                    "airflow_ai_etl.operators.sql_statement",
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
                "options": config_options(),
            }
        },
    }
