"""Pipeline memory: every approved (deployed) draft, embedded by its request, searchable by meaning.

The store is the source of truth; the index is a cache persisted beside it (a FAISS file plus one
JSON line per entry in ``[ai_etl] memory_dir``, default ``$AIRFLOW_HOME/ai_etl/memory``). Opening
the memory compares the index with the store: a missing, unreadable or stale index (a deployment
newer than its newest entry, another embedder) is rebuilt, never a crash. Drafts deployed since the
last build are added on the next open, so nothing needs to call the memory at deploy time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_ai_etl.memory.embeddings import default_embedder
from airflow_ai_etl.memory.vectors import IndexFileError, VectorIndex

if TYPE_CHECKING:
    from airflow_ai_etl.store.repository import Store

log = logging.getLogger(__name__)

MEMORY_DIR_ENV = "AI_ETL_MEMORY_DIR"
_INDEX = "pipelines.faiss"
_ENTRIES = "pipelines.jsonl"
_META = "pipelines.meta.json"


@dataclass(frozen=True)
class ApprovedPipeline:
    """One deployment of a draft: what was asked, the spec that answered it, who approved it, when."""

    deployment_id: int
    dag_id: str
    request: str
    spec: dict[str, Any]
    conn_ids: tuple[str, ...]
    approver: str
    approved_at: str  # ISO 8601, UTC
    catalog_fingerprints: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class SimilarPipeline:
    pipeline: ApprovedPipeline
    score: float

    def to_json(self) -> dict[str, Any]:
        p = self.pipeline
        return {
            "dag_id": p.dag_id,
            "request": p.request,
            "score": round(self.score, 4),
            "conn_ids": list(p.conn_ids),
            "approver": p.approver,
            "approved_at": p.approved_at,
            "deployment_id": p.deployment_id,
        }


def memory_dir() -> Path:
    """`AI_ETL_MEMORY_DIR`, else `[ai_etl] memory_dir`, else `$AIRFLOW_HOME/ai_etl/memory`."""
    configured = os.environ.get(MEMORY_DIR_ENV)
    if not configured:
        from airflow.configuration import conf

        configured = conf.get("ai_etl", "memory_dir", fallback="") or ""
    if configured:
        return Path(configured)
    home = os.environ.get("AIRFLOW_HOME") or str(Path.home() / "airflow")
    return Path(home) / "ai_etl" / "memory"


def spec_connections(spec: dict[str, Any]) -> tuple[str, ...]:
    """Every conn_id a spec's steps name (sources, targets, checks), sorted."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "conn_id" and isinstance(item, str):
                    found.add(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(spec.get("steps", []))
    return tuple(sorted(found))


def approved_pipelines(store: Store, after_id: int = 0) -> list[ApprovedPipeline]:
    """Deployments (not rollbacks) of stored drafts with id > `after_id`, oldest first."""
    from sqlalchemy import select

    from airflow_ai_etl.store.models import DeploymentRow, DraftRow, RequestRow

    query = (
        select(DeploymentRow, DraftRow, RequestRow)
        .join(DraftRow, DraftRow.id == DeploymentRow.draft_id)
        .join(RequestRow, RequestRow.id == DraftRow.request_id)
        .where(DeploymentRow.action == "deploy", DeploymentRow.id > after_id, DraftRow.spec.is_not(None))
        .order_by(DeploymentRow.id)
    )
    with store.session() as session:
        rows = session.execute(query).all()
    return [
        ApprovedPipeline(
            deployment_id=deployment.id,
            dag_id=deployment.dag_id,
            request=request.request,
            spec=draft.spec or {},
            conn_ids=spec_connections(draft.spec or {}),
            approver=deployment.deployed_by,
            approved_at=deployment.deployed_at.astimezone(dt.UTC).isoformat(),
            catalog_fingerprints=dict((draft.report or {}).get("catalog_fingerprints", {})),
        )
        for deployment, draft, request in rows
    ]


def has_approved_pipelines(store: Store) -> bool:
    """Whether any draft was deployed: one cheap query, so that callers with an empty memory never
    open it (opening names the embedder, which loads the embedding model)."""
    from sqlalchemy import select

    from airflow_ai_etl.store.models import DeploymentRow

    query = select(DeploymentRow.id).where(DeploymentRow.action == "deploy").limit(1)
    with store.session() as session:
        return session.execute(query).first() is not None


def _entry(data: dict[str, Any]) -> ApprovedPipeline:
    return ApprovedPipeline(**{**data, "conn_ids": tuple(data["conn_ids"])})


class PipelineMemory:
    """The index and its entries (position i of the index is entries[i])."""

    def __init__(self, directory: Path, index: VectorIndex, entries: list[ApprovedPipeline]) -> None:
        self.directory = directory
        self.index = index
        self.entries = entries

    @property
    def newest_id(self) -> int:
        return self.entries[-1].deployment_id if self.entries else 0

    @classmethod
    def build(cls, directory: Path, entries: Sequence[ApprovedPipeline]) -> PipelineMemory:
        vectors = default_embedder().encode([e.request for e in entries])
        memory = cls(directory, VectorIndex.build(vectors), list(entries))
        memory.save()
        return memory

    def add(self, entries: Sequence[ApprovedPipeline]) -> None:
        if not entries:
            return
        self.index.add(default_embedder().encode([e.request for e in entries]))
        self.entries += entries
        self.save()

    def save(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.index.save(self.directory / _INDEX)
        lines = "".join(json.dumps(dataclasses.asdict(e), sort_keys=True) + "\n" for e in self.entries)
        partial = self.directory / (_ENTRIES + ".partial")
        partial.write_text(lines, encoding="utf-8")
        partial.replace(self.directory / _ENTRIES)
        meta = {"embedder": default_embedder().name, "entries": len(self.entries)}
        (self.directory / _META).write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> PipelineMemory:
        """The persisted memory; IndexFileError when any part is missing, damaged or inconsistent."""
        try:
            meta = json.loads((directory / _META).read_text(encoding="utf-8"))
            lines = (directory / _ENTRIES).read_text(encoding="utf-8").splitlines()
            entries = [_entry(json.loads(line)) for line in lines if line]
        except (OSError, ValueError, TypeError, KeyError) as error:
            raise IndexFileError(f"pipeline memory in {directory} is unreadable: {error}") from None
        index = VectorIndex.load(directory / _INDEX)
        if meta.get("embedder") != default_embedder().name:
            raise IndexFileError(f"pipeline memory in {directory} was built with another embedder")
        if len(index) != len(entries) or meta.get("entries") != len(entries):
            raise IndexFileError(f"pipeline memory in {directory}: index and entries disagree")
        return cls(directory, index, entries)

    def search(
        self, request: str, *, k: int = 5, conn_ids: Sequence[str] | None = None
    ) -> list[SimilarPipeline]:
        """The k approved pipelines nearest to `request` (only those within `conn_ids`, if given)."""
        if not self.entries or not request.strip():
            return []
        wanted = set(conn_ids or ())
        # Over-fetch when filtering by connection: most neighbours may be over other connections.
        fetch = len(self.entries) if wanted and len(self.entries) <= 1000 else k * (20 if wanted else 1)
        scores, ids = self.index.search(default_embedder().encode([request]), fetch)
        found: list[SimilarPipeline] = []
        for score, position in zip(scores[0], ids[0], strict=True):
            if position < 0:
                continue
            entry = self.entries[position]
            if wanted and not set(entry.conn_ids) <= wanted:
                continue
            found.append(SimilarPipeline(entry, float(score)))
            if len(found) == k:
                break
        return found


_lock = threading.Lock()


def open_memory(store: Store | None = None, directory: Path | None = None) -> PipelineMemory:
    """The memory, brought up to date with the store: loaded, extended, or rebuilt when broken."""
    from airflow_ai_etl.store.repository import default_store

    store = store or default_store()
    directory = directory or memory_dir()
    with _lock:
        try:
            memory = PipelineMemory.load(directory)
        except IndexFileError as error:
            if (directory / _META).exists() or (directory / _INDEX).exists():
                log.warning("rebuilding the pipeline memory from the store: %s", error)
            return PipelineMemory.build(directory, approved_pipelines(store))
        newer = approved_pipelines(store, after_id=memory.newest_id)
        memory.add(newer)
        return memory


def rebuild_memory(store: Store | None = None, directory: Path | None = None) -> PipelineMemory:
    """Rebuild the memory from the store whatever is on disk."""
    from airflow_ai_etl.store.repository import default_store

    store = store or default_store()
    with _lock:
        return PipelineMemory.build(directory or memory_dir(), approved_pipelines(store))
