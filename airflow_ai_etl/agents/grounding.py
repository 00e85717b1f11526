"""What the planner is shown besides the chosen schema: the tables that already exist (so that a
target resolves to one of them rather than to a new twin) and approved pipelines like the request
(pipeline memory), as examples. Both are best-effort context: neither can fail a generation.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.memory.words import identifier_words

if TYPE_CHECKING:
    from airflow_ai_etl.memory.pipelines import ApprovedPipeline, SimilarPipeline

log = logging.getLogger(__name__)

#: Catalogs up to this size list every table; larger ones list the tables sharing a word with
#: the request (a 1,000-table list would crowd the prompt for little use).
_LIST_ALL_UP_TO = 200
_MAX_LISTED = 100
_EXAMPLES = 3


def existing_tables(request: str, catalogs: Sequence[SchemaCatalog]) -> dict[str, list[str]]:
    """conn_id -> qualified names of existing tables a target in `request` may mean."""
    words = set(identifier_words(request).split())
    listed: dict[str, list[str]] = {}
    for catalog in catalogs:
        names = [t.qualified_name for t in catalog.tables]
        if len(names) > _LIST_ALL_UP_TO:
            names = [
                t.qualified_name for t in catalog.tables if words & set(identifier_words(t.name).split())
            ]
        if names:
            listed[catalog.conn_id] = sorted(names)[:_MAX_LISTED]
    return listed


def nearest_approved(request: str, conn_ids: Sequence[str], k: int = _EXAMPLES) -> list[SimilarPipeline]:
    """The k approved pipelines nearest to `request` over these connections, best first; none
    when the memory is empty (then no embedding model is loaded) or cannot be opened."""
    from airflow_ai_etl.memory.pipelines import has_approved_pipelines, open_memory
    from airflow_ai_etl.store.repository import default_store

    try:
        store = default_store()
        if not has_approved_pipelines(store):
            return []
        return open_memory(store).search(request, k=k, conn_ids=conn_ids)
    except Exception as error:  # no store here, a broken index: plan without the memory
        log.info("no approved pipelines from the memory: %s", error)
        return []


def approved_examples(request: str, conn_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The nearest approved pipelines over these connections: request and spec, best first."""
    return [
        {"request": f.pipeline.request, "spec": f.pipeline.spec, "score": round(f.score, 3)}
        for f in nearest_approved(request, conn_ids)
    ]


def approved_candidates(request: str, conn_ids: Sequence[str]) -> list[ApprovedPipeline]:
    """The approved pipelines the offline planner may adapt to `request`, nearest first."""
    return [f.pipeline for f in nearest_approved(request, conn_ids)]
