"""Nearest-neighbour search over normalised vectors (inner product = cosine), with FAISS.

Exact (flat) search up to :data:`FLAT_LIMIT` vectors, where it is both exact and fast enough;
HNSW beyond, where a flat scan would grow linearly. An index file that cannot be read raises
:class:`IndexFileError`: callers rebuild from their source of truth rather than crash.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from airflow_ai_etl.memory.embeddings import DIMENSION, Vectors

#: Up to this many vectors the index is flat (exact); beyond, HNSW (approximate, sub-linear).
FLAT_LIMIT = 10_000
_HNSW_NEIGHBOURS = 32
_HNSW_SEARCH_DEPTH = 64


class IndexFileError(RuntimeError):
    """A persisted index is missing, unreadable or of the wrong width."""


def _faiss() -> Any:
    import faiss

    return faiss


class VectorIndex:
    """Vectors by position (0..n-1); `search` returns scores and positions, best first."""

    def __init__(self, index: Any) -> None:
        self._index = index

    @classmethod
    def build(cls, vectors: Vectors) -> VectorIndex:
        faiss = _faiss()
        vectors = _checked(vectors)
        if len(vectors) > FLAT_LIMIT:
            index = faiss.IndexHNSWFlat(DIMENSION, _HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efSearch = _HNSW_SEARCH_DEPTH
        else:
            index = faiss.IndexFlatIP(DIMENSION)
        if len(vectors):
            index.add(vectors)
        return cls(index)

    @property
    def kind(self) -> str:
        return "hnsw" if hasattr(self._index, "hnsw") else "flat"

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, vectors: Vectors) -> None:
        self._index.add(_checked(vectors))

    def search(self, queries: Vectors, k: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Per query row: the k best scores and positions (position -1 where fewer exist)."""
        k = max(1, min(k, len(self) or 1))
        scores, ids = self._index.search(_checked(queries), k)
        return scores, ids

    def save(self, path: Path) -> None:
        """Write atomically: a reader never sees half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        _faiss().write_index(self._index, str(partial))
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        if not path.is_file():
            raise IndexFileError(f"no index file at {path}")
        try:
            index = _faiss().read_index(str(path))
        except Exception as error:  # faiss raises RuntimeError with C++ text for any damage
            raise IndexFileError(f"index file {path} is unreadable: {error}") from None
        if index.d != DIMENSION:
            raise IndexFileError(f"index file {path} holds vectors of width {index.d}, not {DIMENSION}")
        return cls(index)


def _checked(vectors: Vectors) -> Vectors:
    array = np.ascontiguousarray(vectors, dtype=np.float32)
    if array.ndim != 2 or array.shape[1] != DIMENSION:
        raise ValueError(f"vectors must have shape (n, {DIMENSION}), not {array.shape}")
    return array
