"""The Redis backend against the real Redis at 127.0.0.1:6379, under a key prefix of its own per test."""

from __future__ import annotations

import pytest
import redis

from airflow_ai_etl.cache.backends import BackendError, RedisBackend
from airflow_ai_etl.cache.entries import SpentUsage
from airflow_ai_etl.cache.keys import CallKeys
from airflow_ai_etl.cache.model_cache import ModelCache, build_cache
from airflow_ai_etl.cache.settings import cache_settings
from tests.support.redis import REDIS_URL, redis_prefix  # noqa: F401  (a fixture)


@pytest.fixture
def prefix(redis_prefix: str) -> str:  # noqa: F811  (the shared fixture, by a short name)
    return redis_prefix


def backend(prefix: str, max_entries: int = 100, **client_args: object) -> RedisBackend:
    client = redis.Redis.from_url(REDIS_URL, **client_args)  # type: ignore[arg-type]
    return RedisBackend(client, prefix=prefix, ttl_s=60, max_entries=max_entries)


def test_entries_round_trip_and_expire_with_the_ttl(prefix: str) -> None:
    store = backend(prefix)
    store.put("k", b"value")
    assert store.get("k") == b"value"
    assert store.get("missing") is None
    ttl = store.client.ttl(f"{prefix}entry:k")
    assert 0 < int(ttl) <= 60  # type: ignore[arg-type]


def test_the_cap_drops_the_least_recently_used_entries(prefix: str) -> None:
    store = backend(prefix, max_entries=3)
    for key in "abc":
        store.put(key, key.encode())
    assert store.get("a") == b"a"  # now the most recently used
    store.put("d", b"d")
    store.put("e", b"e")
    assert store.count() == 3
    assert [store.get(k) for k in "abcde"] == [b"a", None, None, b"d", b"e"]


def test_counts_add_up_and_clear_drops_entries_and_counts_of_this_prefix_only(prefix: str) -> None:
    store, other = backend(prefix), backend(prefix + "other:")
    store.put("a", b"1")
    other.put("a", b"2")
    store.add_counts({"hits_exact": 1, "saved_input_tokens": 500})
    store.add_counts({"hits_exact": 1})
    assert store.counts() == {"hits_exact": 2.0, "saved_input_tokens": 500.0}
    assert store.clear() == 1
    assert (store.get("a"), store.counts(), other.get("a")) == (None, {}, b"2")
    other.clear()


def test_a_redis_that_answers_text_instead_of_bytes_is_an_error_not_an_answer(prefix: str) -> None:
    backend(prefix).put("k", b"value")
    with pytest.raises(BackendError, match="not bytes"):
        backend(prefix, decode_responses=True).get("k")


def test_a_dead_redis_is_skipped_by_the_cache() -> None:
    dead = RedisBackend(
        redis.Redis(port=1, socket_connect_timeout=0.2), prefix="x:", ttl_s=60, max_entries=10
    )
    cache = ModelCache(dead)
    keys = CallKeys(exact="e", intent=None)
    assert cache.lookup(keys) is None
    cache.store(keys, "{}", SpentUsage())  # skipped, not raised


def test_the_cache_is_built_on_the_redis_of_an_airflow_connection(prefix: str, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_AI_ETL_CACHE_TEST", REDIS_URL)
    monkeypatch.setenv("AIRFLOW__AI_ETL__CACHE_CONN_ID", "ai_etl_cache_test")
    monkeypatch.setenv("AIRFLOW__AI_ETL__CACHE_KEY_PREFIX", prefix)
    cache = build_cache(cache_settings())
    assert cache is not None and isinstance(cache.backend, RedisBackend)
    cache.backend.put("k", b"v")
    assert redis.Redis.from_url(REDIS_URL).get(f"{prefix}entry:k") == b"v"
    assert "ai_etl_cache_test" in cache.stats().backend


def test_intent_records_are_fetched_once_each_and_again_after_a_clear(prefix: str) -> None:
    store = backend(prefix, max_entries=3)
    assert store.records("g", 0) == (0, [], False)
    store.add_record("g", b"r1")
    store.add_record("g", b"r2")
    assert store.records("g", 0) == (2, [b"r1", b"r2"], False)
    assert store.records("g", 2) == (2, [], False)
    for record in (b"r3", b"r4", b"r5"):
        store.add_record("g", record)
    assert store.records("g", 2) == (5, [b"r3", b"r4", b"r5"], False)
    assert store.records("g", 1) == (5, [b"r3", b"r4", b"r5"], True)  # r2 was dropped: all, afresh
    assert 0 < int(store.client.ttl(f"{prefix}proposals:g")) <= 60  # type: ignore[arg-type]
    store.clear()
    assert store.records("g", 5) == (0, [], True)  # the count went back: whatever this process held is gone
