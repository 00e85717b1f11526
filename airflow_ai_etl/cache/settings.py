"""The cache's `[ai_etl]` settings, checked: a bad value is an error naming the setting."""

from __future__ import annotations

from dataclasses import dataclass

from airflow_ai_etl.config import ConfigError, config_float, config_int, config_str

DEFAULT_TTL_S = 24 * 3600
DEFAULT_MAX_ENTRIES = 100_000
DEFAULT_PREFIX = "ai_etl:cache:"


@dataclass(frozen=True)
class CacheSettings:
    enabled: bool = True
    conn_id: str | None = None
    ttl_s: float = DEFAULT_TTL_S
    max_entries: int = DEFAULT_MAX_ENTRIES
    prefix: str = DEFAULT_PREFIX


def cache_settings() -> CacheSettings:
    """`[ai_etl] cache_*`; raises ConfigError naming a setting whose value cannot be used."""
    ttl = config_float("cache_ttl", DEFAULT_TTL_S)
    if ttl <= 0:
        raise ConfigError("cache_ttl", ttl, "must be a positive number of seconds")
    max_entries = config_int("cache_max_entries", DEFAULT_MAX_ENTRIES)
    if max_entries < 1:
        raise ConfigError("cache_max_entries", max_entries, "must be at least 1")
    return CacheSettings(
        enabled=(config_str("cache_enabled") or "true").lower() not in ("false", "0", "no", "off"),
        conn_id=config_str("cache_conn_id"),
        ttl_s=ttl,
        max_entries=max_entries,
        prefix=config_str("cache_key_prefix") or DEFAULT_PREFIX,
    )
