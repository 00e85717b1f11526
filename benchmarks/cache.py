"""LLM cache lookups at 100k cached entries, and the contrast set's hits and misses.

    .venv/bin/python benchmarks/cache.py [--entries 100000] [--lookups 2000] [--redis redis://127.0.0.1:6379/0]

Fills a backend (the in-process LRU, or Redis under a prefix of its own, removed afterwards) with
`--entries` entries the size of a planner's answer, then measures, per lookup:

- index search: the intent tier's FAISS search for the k nearest of `--entries` cached requests'
  embeddings in one group (HNSW beyond 10k; unit vectors, as the embedder gives);
- entry get: the backend fetching one entry by key (half of them present, half not): a Redis
  round trip with `--redis`;
- whole lookup: what a model call adds before it is answered or sent, for a request of the
  contrast set (each answer stored once first): parsing its intent over the catalogs, the
  catalogs' fingerprints, both keys of the planner's prompt, the exact look-up, then embedding
  the request (MiniLM, never from a memo), fetching the group's new records, the FAISS search
  and the equality check.

Targets (2 cores): index search p99 <= 2 ms, whole lookup p99 <= 15 ms. Printed last: the
contrast set (tests/unit/cache/contrast_pairs.yaml) through the cache's rule, right hits on
paraphrases (target >= 80%) and wrong hits on near-identical requests (target 0).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="ai-etl-bench-home-"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from airflow_ai_etl.agents.planner import schema_section
from airflow_ai_etl.cache.backends import CacheBackend, MemoryBackend, RedisBackend
from airflow_ai_etl.cache.calls import CacheScope
from airflow_ai_etl.cache.check import compare
from airflow_ai_etl.cache.entries import SpentUsage, encode
from airflow_ai_etl.cache.keys import CallIdentity, CallKeys
from airflow_ai_etl.cache.model_cache import ModelCache
from airflow_ai_etl.cache.proposals import PROPOSALS, IntentRecord, Proposer
from airflow_ai_etl.memory.embeddings import DIMENSION
from airflow_ai_etl.spec import PipelineSpec
from tests.unit.cache.conftest import contrast_catalogs, contrast_pairs

INDEX_TARGET_MS = 2.0
LOOKUP_TARGET_MS = 15.0
ANSWER = "x" * 2000  # a planner's answer is a spec of about this many characters of JSON


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98]


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU milliseconds of `action` (on a loaded machine, wall time includes waiting for a core)."""
    started, cpu = time.perf_counter(), time.process_time()
    action()
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


def fill(backend: CacheBackend, entries: int) -> list[str]:
    keys = [hashlib.sha256(f"entry {i}".encode()).hexdigest() for i in range(entries)]
    if isinstance(backend, RedisBackend):  # in batches: 100k round trips would measure the network
        pipe = backend.client.pipeline(transaction=False)
        for index, key in enumerate(keys, 1):
            name = f"{backend.prefix}entry:{key}"
            pipe.set(name, encode(key, ANSWER, SpentUsage(1, 1000, 500)), ex=3600)
            pipe.zadd(f"{backend.prefix}index", {name: time.time()})
            if index % 5000 == 0:
                pipe.execute()
        pipe.execute()
    else:
        for key in keys:
            backend.put(key, encode(key, ANSWER, SpentUsage(1, 1000, 500)))
    return keys


def index_search(entries: int, lookups: int) -> list[tuple[float, float]]:
    """The k-nearest search of the intent tier over `entries` records of one group."""
    rng = np.random.default_rng(13)
    vectors = rng.standard_normal((entries, DIMENSION)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    records = [IntentRecord(f"k{i}", {}, vectors[i : i + 1]).encode() for i in range(entries)]
    proposer = Proposer(k=PROPOSALS)
    proposer.update("bench", entries, records, complete=True)
    queries = [vectors[rng.integers(entries)][None, :] for _ in range(lookups)]
    return [timed(lambda query=query: proposer.propose("bench", query)) for query in queries]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--redis", metavar="URL", help="measure Redis at URL instead of the in-process LRU")
    args = parser.parse_args()

    backend: CacheBackend
    if args.redis:
        import redis

        client = redis.Redis.from_url(args.redis)
        backend = RedisBackend(
            client, prefix=f"ai_etl_bench:{uuid.uuid4().hex[:8]}:", ttl_s=3600, max_entries=10**7
        )
    else:
        backend = MemoryBackend(ttl_s=3600, max_entries=10**7)
    print(f"backend: {backend.description}; filling {args.entries} entries ...", flush=True)
    try:
        keys = fill(backend, args.entries)
        cache = ModelCache(backend, Proposer(keep_vectors=0))
        rng = random.Random(13)

        probes = [rng.choice(keys) if i % 2 else f"absent-{i}" for i in range(args.lookups)]
        fetch = [timed(lambda key=key: backend.get(key)) for key in probes]

        search = index_search(args.entries, args.lookups)

        catalogs = contrast_catalogs()
        schema = schema_section(catalogs)
        identity = CallIdentity.of("openai:gpt-5", "", "planner instructions", PipelineSpec, [])
        requests = [
            request for pair in contrast_pairs()["hit"] + contrast_pairs()["miss"] for request in pair
        ]

        def call_keys(request: str) -> CallKeys:
            scope = CacheScope(request, catalogs, cache=cache)
            return scope.keys(identity, f"## Request\n{request}\n\n## Schema\n{schema}")

        for request in requests[::2]:  # every pair's first request answered once
            cache.store(call_keys(request), ANSWER, SpentUsage(1, 1000, 500))
        cycle = [requests[i % len(requests)] for i in range(args.lookups)]
        whole = [timed(lambda request=request: cache.lookup(call_keys(request))) for request in cycle]
    finally:
        if isinstance(backend, RedisBackend):
            backend.clear()

    load = os.getloadavg()[0]
    print(f"\n{args.entries} entries, {args.lookups} lookups each (milliseconds; load average {load:.1f})")
    print(f"{'':<16}{'median':>8}{'p99':>8}{'CPU p50':>9}{'CPU p99':>9}{'target p99':>12}{'p99/target':>12}")
    for name, samples, target in (
        ("index search", search, INDEX_TARGET_MS),
        ("entry get", fetch, INDEX_TARGET_MS),
        ("whole lookup", whole, LOOKUP_TARGET_MS),
    ):
        wall, cpu = [w for w, _ in samples], [c for _, c in samples]
        high = p99(wall)
        print(
            f"{name:<16}{statistics.median(wall):>8.3f}{high:>8.3f}{statistics.median(cpu):>9.3f}"
            f"{p99(cpu):>9.3f}{target:>12.1f}{high / target:>12.2f}"
        )

    pairs = contrast_pairs()
    right = sum(compare(a, b, catalogs).hit for a, b in pairs["hit"])
    wrong = sum(compare(a, b, catalogs).hit for a, b in pairs["miss"])
    hits, misses = len(pairs["hit"]), len(pairs["miss"])
    print(
        f"\ncontrast set: right hits {right}/{hits} ({right / hits:.0%}, target >= 80%), "
        f"wrong hits {wrong}/{misses} (target 0)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
