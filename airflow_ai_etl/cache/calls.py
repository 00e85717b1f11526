"""The cache around one model call, inside a generation run's scope.

A run opens a scope (`cache_scope`) naming its request and catalogs; `cached_call` then answers
each model call from the cache when it can, or makes the call and stores the answer. Outside a
scope, or for an agent without an identity, calls go straight to the model: without the run's
catalogs there is no fingerprint to key on. What the cache did is recorded in the call's
CacheUse (which tier served it, what it saved), for the run's events and usage.
"""

from __future__ import annotations

import contextvars
import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from airflow_ai_etl.cache.entries import SpentUsage
from airflow_ai_etl.cache.intent import IntentReading, read_intent
from airflow_ai_etl.cache.keys import CallIdentity, CallKeys, call_keys
from airflow_ai_etl.cache.model_cache import ModelCache, Tier, process_cache
from airflow_ai_etl.catalog.models import SchemaCatalog

if TYPE_CHECKING:
    from pydantic_ai.usage import RunUsage

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class CacheUse:
    """Whether one call's answer came from the cache (and which tier), and what that saved."""

    tier: Tier | None = None
    saved: SpentUsage = field(default_factory=SpentUsage)


@dataclass
class CacheScope:
    """One generation run: its request, its catalogs and the dag_id it was asked for."""

    request: str
    catalogs: Sequence[SchemaCatalog]
    dag_id: str | None = None
    cache: ModelCache | None = None

    @functools.cached_property
    def fingerprints(self) -> list[str]:
        return sorted(f"{c.conn_id}:{c.fingerprint()}" for c in self.catalogs)

    @functools.cached_property
    def intent(self) -> IntentReading:
        return read_intent(self.request, self.catalogs, self.dag_id)

    def keys(self, identity: CallIdentity, prompt: str) -> CallKeys:
        return call_keys(identity, prompt, self.fingerprints, request=self.request, intent=self.intent.intent)


_scope: contextvars.ContextVar[CacheScope | None] = contextvars.ContextVar("ai_etl_cache_scope", default=None)


@contextmanager
def cache_scope(
    request: str,
    catalogs: Sequence[SchemaCatalog],
    *,
    dag_id: str | None = None,
    cache: ModelCache | None = None,
) -> Iterator[CacheScope]:
    """Model calls made inside use the cache (`cache`, default: this process's from `[ai_etl]`)."""
    scope = CacheScope(request, catalogs, dag_id, cache if cache is not None else process_cache())
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def cached_call(
    identity: CallIdentity | None,
    prompt: str,
    *,
    output_type: Any,
    usage: RunUsage,
    use: CacheUse,
    run: Callable[[], T],
) -> T:
    """`run()`'s answer, from the cache when an entry for this call can be served."""
    scope = _scope.get()
    if identity is None or scope is None or scope.cache is None:
        return run()
    cache = scope.cache
    keys = scope.keys(identity, prompt)
    adapter: TypeAdapter[T] = TypeAdapter(output_type)
    hit = cache.lookup(keys)
    if hit is not None:
        try:
            output = adapter.validate_json(hit.output_json)
        except ValidationError as exc:
            cache.reject(hit.key, f"the answer no longer fits {output_type!r}: {exc.error_count()} error(s)")
        else:
            use.tier, use.saved = hit.tier, hit.usage
            cache.count(
                {
                    f"hits_{hit.tier}": 1,
                    "saved_input_tokens": hit.usage.input_tokens,
                    "saved_output_tokens": hit.usage.output_tokens,
                    "saved_cost_usd": hit.usage.cost_usd or 0.0,
                }
            )
            return output
    before = (usage.requests, usage.input_tokens, usage.output_tokens, usage.cost)
    output = run()
    cost = None if usage.cost is None else float(usage.cost - (before[3] or 0))
    spent = SpentUsage(
        requests=usage.requests - before[0],
        input_tokens=usage.input_tokens - before[1],
        output_tokens=usage.output_tokens - before[2],
        cost_usd=cost,
    )
    cache.store(keys, adapter.dump_json(output).decode("utf-8"), spent)
    cache.count({"misses": 1})
    return output
