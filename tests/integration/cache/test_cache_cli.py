"""`ai-etl cache stats|clear` on a Redis cache configured by an Airflow connection."""

from __future__ import annotations

import json

import pytest

from airflow_ai_etl.cache.model_cache import build_cache
from airflow_ai_etl.cache.settings import cache_settings
from tests.integration.cache.test_redis_backend import prefix  # noqa: F401  (a fixture)
from tests.support.cli import ai_etl  # noqa: F401  (a fixture)
from tests.support.redis import REDIS_URL, redis_prefix  # noqa: F401  (a fixture)


@pytest.fixture
def redis_cache(prefix: str, monkeypatch: pytest.MonkeyPatch) -> str:  # noqa: F811
    monkeypatch.setenv("AIRFLOW_CONN_AI_ETL_CACHE_CLI", REDIS_URL)
    monkeypatch.setenv("AIRFLOW__AI_ETL__CACHE_CONN_ID", "ai_etl_cache_cli")
    monkeypatch.setenv("AIRFLOW__AI_ETL__CACHE_KEY_PREFIX", prefix)
    return prefix


def test_stats_show_entries_and_counts_and_clear_empties_the_cache(ai_etl, redis_cache: str) -> None:  # noqa: F811
    cache = build_cache(cache_settings())
    assert cache is not None
    cache.backend.put("one", b"1")
    cache.backend.put("two", b"2")
    cache.count({"hits_intent": 3, "saved_output_tokens": 1200})
    stats = ai_etl("cache", "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    figures = json.loads(stats.stdout)
    assert (figures["entries"], figures["hits_intent"], figures["saved_output_tokens"]) == (2, 3, 1200)
    assert "ai_etl_cache_cli" in figures["backend"]
    cleared = ai_etl("cache", "clear")
    assert cleared.returncode == 0, cleared.stderr
    assert "cleared 2 entries" in cleared.stdout
    assert json.loads(ai_etl("cache", "stats", "--json").stdout)["entries"] == 0


def test_stats_of_an_unreachable_redis_is_an_error_not_zeros(ai_etl, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("AIRFLOW_CONN_AI_ETL_CACHE_DEAD", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("AIRFLOW__AI_ETL__CACHE_CONN_ID", "ai_etl_cache_dead")
    proc = ai_etl("cache", "stats")
    assert proc.returncode == 1
    assert "cannot be reached" in proc.stderr
