"""The budgets, enforced in Redis: a token bucket per subject for requests per minute, and day
counters for tokens and cost, checked and taken in one Lua script so that concurrent api-server
workers, CLIs and Airflow workers share one count and never overshoot a limit together.

A subject is `user:<name>` or `model:<provider:model>`. `admit` takes one request from the
subject's bucket unless a limit is reached, and then raises BudgetExceeded naming the limit and
when to retry; `charge` adds what a generation or a model call spent to the day's counters.
A Redis that cannot be reached admits (with a warning): an outage of the counter must not stop
every generation.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic_ai.exceptions import AgentRunError

from airflow_ai_etl.budgets.settings import BudgetSettings, Limits, budget_settings
from airflow_ai_etl.config import ConfigError
from airflow_ai_etl.observability import metrics

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

#: KEYS: bucket, tokens today, cost today. ARGV: requests per minute, tokens per day, cost per day.
#: Returns {admitted (1/0), seconds to wait (text), the limit reached}. The clock is Redis's own,
#: so that workers with skewed clocks still share one bucket.
_ADMIT = """
local per_minute = tonumber(ARGV[1])
local tokens_limit = tonumber(ARGV[2])
local cost_limit = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local day_left = 86400 - (tonumber(t[1]) % 86400)
if tokens_limit > 0 and tonumber(redis.call('GET', KEYS[2]) or '0') >= tokens_limit then
  return {0, tostring(day_left), 'tokens_per_day'}
end
if cost_limit > 0 and tonumber(redis.call('GET', KEYS[3]) or '0') >= cost_limit then
  return {0, tostring(day_left), 'cost_per_day'}
end
if per_minute > 0 then
  local rate = per_minute / 60.0
  local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
  local tokens = tonumber(state[1]) or per_minute
  local at = tonumber(state[2]) or now
  tokens = math.min(per_minute, tokens + math.max(0, now - at) * rate)
  if tokens < 1 then
    return {0, tostring((1 - tokens) / rate), 'requests_per_minute'}
  end
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'at', tostring(now))
  redis.call('EXPIRE', KEYS[1], 120)
end
return {1, '0', ''}
"""

_DAY_S = 86400


class BudgetExceeded(AgentRunError):
    """A limit is reached. An AgentRunError, so that a generation ends with a clean reason."""

    def __init__(self, message: str, retry_after_s: float, option: str) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.option = option

    @property
    def retry_after(self) -> int:
        """Whole seconds for a Retry-After header (at least 1)."""
        return max(1, math.ceil(self.retry_after_s))


@dataclass(frozen=True)
class Subject:
    kind: str  # "user" | "model"
    name: str

    def option(self, limit: str) -> str:
        """The `[ai_etl]` option that sets `limit` for this subject."""
        return f"{self.kind}_{limit}" if self.kind == "user" else f"model_budgets[{self.name!r}].{limit}"


class Budgets:
    def __init__(
        self, settings: BudgetSettings, client: redis.Redis | None, prefix: str = "ai_etl:budget:"
    ) -> None:
        self.settings = settings
        self.client = client
        self.prefix = prefix
        self._admit = client.register_script(_ADMIT) if client is not None else None

    def _keys(self, subject: Subject) -> list[str]:
        day = dt.datetime.now(dt.UTC).date().isoformat()
        base = f"{self.prefix}{subject.kind}:{subject.name}"
        return [f"{base}:bucket", f"{base}:tokens:{day}", f"{base}:cost:{day}"]

    def limits(self, subject: Subject) -> Limits:
        if subject.kind == "user":
            return self.settings.user
        return self.settings.models.get(subject.name, Limits())

    def admit(self, subject: Subject) -> None:
        """Take one request from `subject`'s budget, or raise BudgetExceeded naming the limit."""
        import redis

        limits = self.limits(subject)
        if self._admit is None or not limits.any:
            return
        try:
            admitted, wait, limit = self._admit(
                keys=self._keys(subject),
                args=[limits.requests_per_minute, limits.tokens_per_day, limits.cost_per_day],
            )
        except redis.RedisError as exc:
            log.warning("budgets not checked (Redis: %s): %s %s admitted", exc, subject.kind, subject.name)
            return
        if int(admitted):
            return
        limit = limit.decode() if isinstance(limit, bytes) else str(limit)
        seconds = float(wait)
        allowed = {
            "requests_per_minute": f"{limits.requests_per_minute} requests per minute",
            "tokens_per_day": f"{limits.tokens_per_day} tokens per day (UTC)",
            "cost_per_day": f"{limits.cost_per_day:g} USD per day (UTC)",
        }[limit]
        option = subject.option(limit)
        metrics.budget_exceeded(subject=subject.kind, limit=limit)
        raise BudgetExceeded(
            f"{subject.kind} {subject.name!r} has reached its limit of {allowed} "
            f"([ai_etl] {option}); retry after {max(1, math.ceil(seconds))} s",
            seconds,
            option,
        )

    def charge(self, subject: Subject, *, tokens: int, cost_usd: float | None) -> None:
        """Add what `subject` spent to today's counters (only subjects with day limits are counted)."""
        import redis

        limits = self.limits(subject)
        if self.client is None or not (limits.tokens_per_day or limits.cost_per_day):
            return
        _bucket, tokens_key, cost_key = self._keys(subject)
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.incrby(tokens_key, tokens)
            pipe.expire(tokens_key, 2 * _DAY_S)
            pipe.incrbyfloat(cost_key, cost_usd or 0.0)
            pipe.expire(cost_key, 2 * _DAY_S)
            pipe.execute()
        except redis.RedisError as exc:
            log.warning(
                "budgets not charged (Redis: %s): %s %s spent %d tokens",
                exc,
                subject.kind,
                subject.name,
                tokens,
            )


def build_budgets(settings: BudgetSettings) -> Budgets:
    """Budgets as configured; none are enforced when no limit is set. ConfigError when limits are set
    and their Redis connection is missing or not a Redis."""
    if not settings.any or settings.conn_id is None:
        return Budgets(settings, None)
    from airflow_ai_etl.cache.settings import cache_settings
    from airflow_ai_etl.hooks.redis import redis_client

    try:
        client = redis_client(settings.conn_id)
    except Exception as exc:  # UnknownConnectionError, ValueError: limits without their count
        raise ConfigError("cache_conn_id", settings.conn_id, f"the budgets' Redis: {exc}") from None
    return Budgets(settings, client, prefix=f"{cache_settings().prefix}budget:")


@functools.cache
def process_budgets() -> Budgets:
    """This process's budgets, from `[ai_etl]` (ConfigError when they are misconfigured)."""
    return build_budgets(budget_settings())
