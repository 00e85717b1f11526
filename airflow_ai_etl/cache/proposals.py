"""Candidates for the intent tier: the cached requests nearest in meaning, by embeddings and FAISS.

Every answer stored in the intent tier leaves a record in its group (the same model, instructions,
tools, output schema, prompt around the request and catalogs; see `keys`): the intent's key and
fields and the request's embedding. A lookup embeds its request, searches the group's records for
the k nearest, and serves a candidate only when its intent fields equal the request's field for
field, literals as written (`ModelCache.lookup`). Similarity only chooses whom to compare with;
it never decides a hit: "status = 'paid'" and "status = 'refunded'" are neighbours here, and
their intents differ.

Each process keeps one FAISS index per group it has looked up, in step with the backend's records
through a counter of records ever added: a lookup fetches only the records added since its last
one, or all of them when the counter went back (the group was cleared or expired).
"""

from __future__ import annotations

import base64
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from airflow_ai_etl.memory.embeddings import DIMENSION, Embedder, Vectors, default_embedder
from airflow_ai_etl.memory.vectors import FLAT_LIMIT, VectorIndex

#: Cached requests compared with a request's intent per lookup (nearest first).
PROPOSALS = 8
#: Request vectors kept per process: a miss's lookup and its store embed the same request once.
_VECTORS_KEPT = 256
RECORD_FORMAT = 1


@dataclass(frozen=True)
class IntentRecord:
    """One answer in the intent tier: its entry's key, the intent it was made for, the request's vector."""

    key: str
    fields: Mapping[str, str]
    vector: Vectors

    def encode(self) -> bytes:
        vector = base64.b64encode(np.ascontiguousarray(self.vector, dtype=np.float32).tobytes()).decode()
        data = {"format": RECORD_FORMAT, "key": self.key, "fields": dict(self.fields), "vector": vector}
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    @classmethod
    def decode(cls, raw: bytes) -> IntentRecord | None:
        """The record, or None for bytes that are not one (another format, damage): never a candidate."""
        try:
            data = json.loads(raw)
            vector = np.frombuffer(base64.b64decode(data["vector"], validate=True), dtype=np.float32)
            fields = data["fields"]
            valid = (
                data["format"] == RECORD_FORMAT
                and isinstance(data["key"], str)
                and isinstance(fields, dict)
                and all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items())
                and vector.shape == (DIMENSION,)
            )
        except (ValueError, TypeError, KeyError, UnicodeDecodeError):
            return None
        return cls(data["key"], fields, vector.reshape(1, DIMENSION)) if valid else None


@dataclass
class _Group:
    seen: int = 0
    records: list[IntentRecord] = field(default_factory=list)
    index: VectorIndex | None = None


class Proposer:
    """This process's FAISS index per group, and the request embedder (the packaged MiniLM)."""

    def __init__(
        self, embedder: Embedder | None = None, k: int = PROPOSALS, keep_vectors: int = _VECTORS_KEPT
    ) -> None:
        self.embedder = embedder or default_embedder()
        self.k = k
        self.keep_vectors = keep_vectors
        self._groups: dict[str, _Group] = {}
        self._vectors: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()

    def space(self) -> str:
        """The vector space's name: records of another space (the lexical fallback) are never compared."""
        return self.embedder.name

    def vector(self, request: str) -> Vectors:
        with self._lock:
            known = self._vectors.get(request)
            if known is not None:
                self._vectors.move_to_end(request)
                return known
        vector = self.embedder.encode([request])
        with self._lock:
            self._vectors[request] = vector
            while len(self._vectors) > self.keep_vectors:
                self._vectors.popitem(last=False)
        return vector

    def seen(self, group: str) -> int:
        with self._lock:
            found = self._groups.get(group)
            return found.seen if found is not None else 0

    def holds(self, group: str) -> bool:
        """Whether this process knows any record of `group`."""
        with self._lock:
            found = self._groups.get(group)
            return found is not None and bool(found.records)

    def update(self, group: str, total: int, raw: Sequence[bytes], *, complete: bool) -> None:
        """Add the records the backend returned (all of the group's when `complete`)."""
        records = [r for r in map(IntentRecord.decode, raw) if r is not None]
        with self._lock:
            state = self._groups.setdefault(group, _Group())
            if complete:
                state.records, state.index = [], None
            state.seen = total
            if not records:
                return
            state.records.extend(records)
            vectors = np.vstack([r.vector for r in records])
            # Flat (exact) while small; rebuilt as HNSW once past the flat limit.
            if state.index is None or (state.index.kind == "flat" and len(state.records) > FLAT_LIMIT):
                state.index = VectorIndex.build(np.vstack([r.vector for r in state.records]))
            else:
                state.index.add(vectors)

    def propose(self, group: str, vector: Vectors) -> list[IntentRecord]:
        """The group's k records nearest to `vector`, nearest first."""
        with self._lock:
            state = self._groups.get(group)
            if state is None or state.index is None:
                return []
            _scores, positions = state.index.search(vector, self.k)
            return [state.records[p] for p in positions[0] if 0 <= p < len(state.records)]
