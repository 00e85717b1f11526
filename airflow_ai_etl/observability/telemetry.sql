-- Telemetry tables of airflow-ai-etl, created in the default database of `[ai_etl] telemetry_conn_id`
-- on first use. One row per run of a data-moving task, one row per agent call to a model.
CREATE TABLE IF NOT EXISTS ai_etl_task_runs
(
    at DateTime64(3, 'UTC'),
    dag_id String,
    task_id String,
    run_id String,
    kind LowCardinality(String),
    outcome LowCardinality(String),
    rows UInt64,
    bytes Nullable(UInt64),
    duration_s Float64
)
ENGINE = MergeTree
ORDER BY (dag_id, task_id, at);

CREATE TABLE IF NOT EXISTS ai_etl_llm_calls
(
    at DateTime64(3, 'UTC'),
    generation_id String,
    dag_id String,
    agent LowCardinality(String),
    model LowCardinality(String),
    outcome LowCardinality(String),
    cache_tier LowCardinality(String),
    input_tokens UInt32,
    output_tokens UInt32,
    cost_usd Nullable(Float64),
    latency_s Float64
)
ENGINE = MergeTree
ORDER BY (dag_id, at);
