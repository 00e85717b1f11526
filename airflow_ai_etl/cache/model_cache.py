"""The two-tier model-call cache over a backend: look up (exact, then intent), store, count.

The intent tier's candidates are proposed by embedding (`proposals`): the k cached requests of the
call's group nearest to this one; the first whose intent equals this request's, field for field,
is served.

It never fails a generation and never serves what it cannot vouch for: a backend error skips
the cache (with one warning, then a pause before Redis is tried again), and an entry that does
not decode — garbage, another version, another key, a broken checksum — is a miss, a warning,
and deleted.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from airflow_ai_etl.cache.backends import BackendError, CacheBackend, MemoryBackend, RedisBackend
from airflow_ai_etl.cache.entries import CorruptEntry, SpentUsage, decode, encode
from airflow_ai_etl.cache.keys import CallKeys, IntentProbe
from airflow_ai_etl.cache.settings import CacheSettings, cache_settings
from airflow_ai_etl.config import ConfigError

if TYPE_CHECKING:  # proposals need numpy and the embedder: imported where a cache is built
    from airflow_ai_etl.cache.proposals import Proposer

log = logging.getLogger(__name__)

Tier = Literal["exact", "intent"]

#: After a backend error, the cache is skipped for this long: a dead Redis costs one time-out, not one
#: per call.
BACKOFF_S = 30.0


@dataclass(frozen=True)
class Hit:
    tier: Tier
    key: str
    output_json: str
    usage: SpentUsage


@dataclass(frozen=True)
class CacheStats:
    backend: str
    entries: int
    counts: Mapping[str, float]


class ModelCache:
    def __init__(self, backend: CacheBackend, proposer: Proposer | None = None) -> None:
        self.backend = backend
        self._proposer = proposer
        self._proposer_lock = threading.Lock()  # one proposer per cache, whichever thread asks first
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def proposer(self) -> Proposer:
        """Built on first use: it needs numpy and the embedder, which a run that calls no model
        (the offline planner) never uses."""
        with self._proposer_lock:
            if self._proposer is None:
                from airflow_ai_etl.cache.proposals import Proposer

                self._proposer = Proposer()
            return self._proposer

    def _usable(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, exc: BackendError) -> None:
        with self._lock:
            self._down_until = time.monotonic() + BACKOFF_S
        log.warning("LLM cache skipped for %.0f s: %s", BACKOFF_S, exc)

    def lookup(self, keys: CallKeys) -> Hit | None:
        """The entry for the exact key, else one of an equal intent; None on a miss or any trouble."""
        if not self._usable():
            return None
        try:
            hit = self._served("exact", keys.exact)
            if hit is None and keys.intent is not None:
                hit = self._intent_hit(keys.intent)
        except BackendError as exc:
            self._failed(exc)
            return None
        return hit

    def _served(self, tier: Tier, key: str) -> Hit | None:
        raw = self.backend.get(key)
        if raw is None:
            return None
        try:
            entry = decode(key, raw)
        except CorruptEntry as exc:
            self.reject(key, str(exc))
            return None
        return Hit(tier=tier, key=key, output_json=entry.output_json, usage=entry.usage)

    def _group(self, probe: IntentProbe) -> str:
        return f"{self.proposer.space()}:{probe.group}"

    def _intent_hit(self, probe: IntentProbe) -> Hit | None:
        """The nearest cached requests by embedding are candidates; equal intents decide."""
        group = self._group(probe)
        total, added, complete = self.backend.records(group, self.proposer.seen(group))
        self.proposer.update(group, total, added, complete=complete)
        if not self.proposer.holds(group):  # nothing to compare with: no need to embed the request
            return None
        for record in self.proposer.propose(group, self.proposer.vector(probe.request)):
            if record.fields == probe.fields:  # literals, numbers and names as written
                hit = self._served("intent", record.key)
                if hit is not None:
                    return hit
        return None

    def reject(self, key: str, why: str) -> None:
        """An entry that cannot be served: warn, count it, and delete it so it is not read again."""
        log.warning("LLM cache entry %s… ignored (a miss): %s", key[:12], why)
        try:
            self.backend.delete(key)
            self.backend.add_counts({"rejected": 1})
        except BackendError as exc:
            self._failed(exc)

    def store(self, keys: CallKeys, output_json: str, usage: SpentUsage) -> None:
        if not self._usable():
            return
        try:
            self.backend.put(keys.exact, encode(keys.exact, output_json, usage))
            probe = keys.intent
            if probe is not None:
                self.backend.put(probe.key, encode(probe.key, output_json, usage))
                from airflow_ai_etl.cache.proposals import IntentRecord

                record = IntentRecord(probe.key, probe.fields, self.proposer.vector(probe.request))
                self.backend.add_record(self._group(probe), record.encode())
        except BackendError as exc:
            self._failed(exc)

    def count(self, counts: Mapping[str, float]) -> None:
        if not self._usable():
            return
        try:
            self.backend.add_counts(counts)
        except BackendError as exc:
            self._failed(exc)

    def stats(self) -> CacheStats:
        """Raises BackendError: `ai-etl cache stats` reports a dead Redis rather than zeros."""
        return CacheStats(self.backend.description, self.backend.count(), self.backend.counts())

    def clear(self) -> int:
        return self.backend.clear()


def build_cache(settings: CacheSettings) -> ModelCache | None:
    """The cache `settings` describe, or None when it is off or its Redis connection is unusable."""
    if not settings.enabled:
        return None
    if settings.conn_id is None:
        return ModelCache(MemoryBackend(ttl_s=settings.ttl_s, max_entries=settings.max_entries))
    from airflow_ai_etl.hooks.redis import redis_client

    try:
        client = redis_client(settings.conn_id)
    except Exception as exc:  # UnknownConnectionError, ValueError: the cache is skipped, the run goes on
        log.warning("LLM cache off: [ai_etl] cache_conn_id '%s': %s", settings.conn_id, exc)
        return None
    backend = RedisBackend(
        client,
        prefix=settings.prefix,
        ttl_s=settings.ttl_s,
        max_entries=settings.max_entries,
        where=f" via connection '{settings.conn_id}'",
    )
    return ModelCache(backend)


@functools.cache
def process_cache() -> ModelCache | None:
    """This process's cache, built from `[ai_etl]` once; a bad setting turns it off with a warning
    (the CLI and the api-server check the settings at start-up and refuse to start instead)."""
    try:
        return build_cache(cache_settings())
    except ConfigError as exc:
        log.warning("LLM cache off: %s", exc)
        return None
