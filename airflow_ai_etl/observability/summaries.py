"""What `ai-etl telemetry` prints: model cost per pipeline and the slowest steps, from the
telemetry tables in ClickHouse (`[ai_etl] telemetry_conn_id`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from airflow_ai_etl.observability.telemetry import LlmCallRow, TaskRunRow

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


@dataclass(frozen=True)
class PipelineCost:
    """Model usage of one pipeline's generations (dag_id empty: generations that made no spec)."""

    dag_id: str
    generations: int
    calls: int
    cache_hits: int
    tokens: int
    cost_usd: float
    unpriced_calls: int


@dataclass(frozen=True)
class StepTiming:
    dag_id: str
    task_id: str
    runs: int
    failures: int
    p95_s: float
    max_s: float
    rows: int


def _since(days: int) -> str:
    return f"at >= now() - INTERVAL {int(days)} DAY"


def _exists(client: Client, table: str) -> bool:
    return bool(int(client.command(f"EXISTS TABLE {table}")))  # type: ignore[arg-type]


def pipeline_costs(client: Client, *, days: int) -> list[PipelineCost]:
    """Per pipeline, most expensive first: generations, calls, cache hits, tokens, USD."""
    if not _exists(client, LlmCallRow.TABLE):
        return []
    result = client.query(
        f"""
        SELECT dag_id, uniqExact(generation_id), count(), countIf(cache_tier != 'none'),
               sum(input_tokens + output_tokens), sum(ifNull(cost_usd, 0)),
               countIf(cost_usd IS NULL AND cache_tier = 'none')
        FROM {LlmCallRow.TABLE}
        WHERE {_since(days)}
        GROUP BY dag_id
        ORDER BY sum(ifNull(cost_usd, 0)) DESC, dag_id
        """
    )
    return [
        PipelineCost(str(d), int(g), int(c), int(h), int(t), float(u), int(n))
        for d, g, c, h, t, u, n in result.result_rows
    ]


def slowest_steps(client: Client, *, days: int, limit: int) -> list[StepTiming]:
    """The `limit` steps with the highest 95th-percentile run time."""
    if not _exists(client, TaskRunRow.TABLE):
        return []
    result = client.query(
        f"""
        SELECT dag_id, task_id, count(), countIf(outcome = 'failed'),
               quantile(0.95)(duration_s), max(duration_s), sum(rows)
        FROM {TaskRunRow.TABLE}
        WHERE {_since(days)}
        GROUP BY dag_id, task_id
        ORDER BY quantile(0.95)(duration_s) DESC, dag_id, task_id
        LIMIT {int(limit)}
        """
    )
    return [
        StepTiming(str(d), str(t), int(r), int(f), float(p), float(m), int(n))
        for d, t, r, f, p, m, n in result.result_rows
    ]
