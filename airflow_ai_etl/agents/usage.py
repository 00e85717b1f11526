"""Token usage and cost per agent over one generation run, failed requests and cache hits included."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_ai_etl.agents.events import AgentUsage

if TYPE_CHECKING:
    from pydantic_ai.usage import RunUsage

    from airflow_ai_etl.cache.calls import CacheUse


class UsageMeter:
    """Token usage and cost per agent over a whole generation run."""

    def __init__(self) -> None:
        self._usage: dict[str, AgentUsage] = {}

    def add(self, agent: str, usage: RunUsage, cache: CacheUse | None = None, *, failed: int = 0) -> None:
        if cache is not None and cache.tier is not None:
            saved = self._usage.setdefault(agent, AgentUsage(agent=agent, cost_usd=0.0))
            saved.cache_hits += 1
            saved.saved_input_tokens += cache.saved.input_tokens
            saved.saved_output_tokens += cache.saved.output_tokens
            saved.saved_cost_usd += cache.saved.cost_usd or 0.0
        if not usage.requests and not failed:
            return
        total = self._usage.setdefault(agent, AgentUsage(agent=agent, cost_usd=0.0))
        total.failed_requests += failed
        total.requests += usage.requests
        total.input_tokens += usage.input_tokens
        total.output_tokens += usage.output_tokens
        if not usage.requests:  # failed requests only: nothing was priced
            return
        # One unpriced call makes the agent's total unknown: a partial sum would understate it.
        if usage.cost is None or total.cost_usd is None:
            total.cost_usd = None
        else:
            total.cost_usd += float(usage.cost)

    def summary(self) -> list[AgentUsage]:
        return [u.model_copy() for u in self._usage.values()]
