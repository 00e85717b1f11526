"""Derived structures (token indexes, FK graphs) computed once per catalog object, not per call."""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable
from typing import TypeVar

from airflow_ai_etl.catalog.models import SchemaCatalog

_T = TypeVar("_T")


def per_catalog(build: Callable[[SchemaCatalog], _T]) -> Callable[[SchemaCatalog], _T]:
    """Cache `build(catalog)` for as long as that catalog object lives.

    Catalogs are frozen but hold lists, so they are not hashable; the cache is keyed by identity and
    a weak reference drops the entry with the catalog.
    """
    entries: dict[int, tuple[weakref.ref[SchemaCatalog], _T]] = {}
    lock = threading.Lock()

    @functools.wraps(build)
    def cached(catalog: SchemaCatalog) -> _T:
        key = id(catalog)
        with lock:
            hit = entries.get(key)
        if hit is not None and hit[0]() is catalog:
            return hit[1]
        value = build(catalog)
        ref = weakref.ref(catalog, lambda _ref: entries.pop(key, None))
        with lock:
            entries[key] = (ref, value)
        return value

    return cached
