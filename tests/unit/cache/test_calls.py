"""Model calls through the cache: the real planner agent, a counting model, an in-process backend.

Observable behaviour only: how often the model is asked, which tier answered, what was saved,
and that no trouble with an entry or the backend ever changes an answer or fails a call.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest

from airflow_ai_etl.agents.llm import LLM, AgentCall
from airflow_ai_etl.agents.orchestrator import generate
from airflow_ai_etl.agents.planner import PlanTask, plan
from airflow_ai_etl.cache.backends import BackendError, MemoryBackend
from airflow_ai_etl.cache.calls import cache_scope
from airflow_ai_etl.cache.entries import SpentUsage, encode
from airflow_ai_etl.cache.model_cache import ModelCache
from airflow_ai_etl.catalog.models import Column, SchemaCatalog
from airflow_ai_etl.spec import PipelineSpec
from tests.unit.agents.offline.conftest import validation_context
from tests.unit.cache.conftest import CountingModel

PAID = "copy orders where status = 'paid' to the warehouse"
PAID_AGAIN = "copy the orders where status = 'paid' into the warehouse"
REFUNDED = "copy orders where status = 'refunded' to the warehouse"
TODAY = dt.date(2026, 1, 15)


def answer(status: str = "paid") -> dict[str, Any]:
    return {
        "dag_id": "orders_to_warehouse",
        "start_date": "2026-01-01",
        "steps": [
            {
                "id": "load_orders",
                "kind": "transfer",
                "source": {
                    "conn_id": "shop_pg",
                    "sql": f"SELECT * FROM public.orders WHERE status = '{status}'",
                },
                "target": {"conn_id": "warehouse", "table": "public.orders"},
            }
        ],
    }


class Planner:
    """Plans `request` over `catalogs` inside a cache scope, the way a generation run does."""

    def __init__(self, cache: ModelCache, model: CountingModel) -> None:
        self.cache = cache
        self.llm = LLM.from_model("planner", model.model)

    def __call__(self, request: str, catalogs: list[SchemaCatalog]) -> tuple[PipelineSpec, AgentCall]:
        call = AgentCall()
        with cache_scope(request, catalogs, cache=self.cache):
            spec = plan(self.llm, PlanTask(request=request, catalogs=catalogs, today=TODAY), call)
        return spec, call


@pytest.fixture
def cache() -> ModelCache:
    return ModelCache(MemoryBackend(ttl_s=3600, max_entries=100))


@pytest.fixture
def model() -> CountingModel:
    return CountingModel(answer())


@pytest.fixture
def planner(cache: ModelCache, model: CountingModel) -> Planner:
    return Planner(cache, model)


def test_the_same_call_again_is_served_by_the_exact_tier_and_saves_its_tokens(
    planner, model, catalogs
) -> None:
    first, first_call = planner(PAID, catalogs)
    second, second_call = planner(PAID, catalogs)
    assert model.calls == 1
    assert first_call.cache.tier is None
    assert second_call.cache.tier == "exact"
    assert second_call.cache.saved.input_tokens == 1000 and second_call.cache.saved.output_tokens == 200
    assert second_call.usage.requests == 0
    assert second == first


def test_a_paraphrase_is_served_by_the_intent_tier_with_its_own_words(planner, model, catalogs) -> None:
    planner(PAID, catalogs)
    spec, call = planner(PAID_AGAIN, catalogs)
    assert model.calls == 1
    assert call.cache.tier == "intent"
    assert spec.request == PAID_AGAIN


def test_a_different_literal_asks_the_model(planner, model, catalogs) -> None:
    planner(PAID, catalogs)
    _spec, call = planner(REFUNDED, catalogs)
    assert model.calls == 2
    assert call.cache.tier is None


def test_a_changed_catalog_is_never_answered_from_entries_made_over_the_old_one(
    planner, model, catalogs
) -> None:
    planner(PAID, catalogs)
    shop, warehouse = catalogs
    orders = shop.tables[1]
    changed = orders.model_copy(update={"columns": [*orders.columns, Column(name="channel", type="text")]})
    tables = [changed if t is orders else t for t in shop.tables]
    _spec, call = planner(PAID, [shop.model_copy(update={"tables": tables}), warehouse])
    assert model.calls == 2
    assert call.cache.tier is None


def _stored_keys(cache: ModelCache) -> list[str]:
    backend = cache.backend
    assert isinstance(backend, MemoryBackend)
    return list(backend._entries)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda key: b"\x00\xffnot json", id="garbage"),
        pytest.param(lambda key: b'["a", "list"]', id="json-but-not-an-entry"),
        pytest.param(
            lambda key: encode(key, '{"dag_id": 1}', SpentUsage()).replace(b'"format":1', b'"format":0'),
            id="older-format",
        ),
        pytest.param(lambda key: encode("another-key", "{}", SpentUsage()), id="another-key"),
        pytest.param(
            lambda key: encode(key, '{"dag_id": "x"}', SpentUsage()).replace(b'"x"', b'"y"'),
            id="bad-checksum",
        ),
        pytest.param(
            lambda key: encode(key, '{"dag_id": "not a spec"}', SpentUsage()), id="answer-no-longer-fits"
        ),
    ],
)
def test_a_damaged_entry_is_a_miss_and_a_warning_never_an_answer(
    planner, model, catalogs, damage, caplog
) -> None:
    planner(PAID, catalogs)
    for key in _stored_keys(planner.cache):
        planner.cache.backend.put(key, damage(key))
    with caplog.at_level(logging.WARNING):
        spec, call = planner(PAID, catalogs)
    assert model.calls == 2
    assert call.cache.tier is None
    assert spec.steps[0].source.sql is not None and "'paid'" in spec.steps[0].source.sql
    assert "ignored (a miss)" in caplog.text


class DeadBackend(MemoryBackend):
    def __init__(self) -> None:
        super().__init__(ttl_s=60, max_entries=10)
        self.attempts = 0

    def get(self, key: str) -> bytes | None:
        self.attempts += 1
        raise BackendError("Redis: Connection refused")

    put = get  # type: ignore[assignment]


def test_a_dead_backend_is_skipped_with_a_warning_and_tried_again_only_after_a_pause(
    model, catalogs, caplog
) -> None:
    backend = DeadBackend()
    planner = Planner(ModelCache(backend), model)
    with caplog.at_level(logging.WARNING):
        planner(PAID, catalogs)
        planner(PAID, catalogs)
    assert model.calls == 2
    assert backend.attempts == 1
    assert "LLM cache skipped" in caplog.text


def test_the_memory_backend_keeps_at_most_its_cap_dropping_the_least_recently_used() -> None:
    backend = MemoryBackend(ttl_s=3600, max_entries=2)
    backend.put("a", b"1")
    backend.put("b", b"2")
    assert backend.get("a") == b"1"
    backend.put("c", b"3")
    assert (backend.get("a"), backend.get("b"), backend.get("c")) == (b"1", None, b"3")


def test_the_memory_backend_forgets_entries_after_their_ttl(monkeypatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr("airflow_ai_etl.cache.backends.time.monotonic", lambda: clock[0])
    backend = MemoryBackend(ttl_s=10, max_entries=5)
    backend.put("a", b"1")
    clock[0] += 9
    assert backend.get("a") == b"1"
    clock[0] += 2
    assert backend.get("a") is None


def test_a_generation_run_says_in_its_events_and_usage_that_the_cache_answered(
    model, catalogs, monkeypatch
) -> None:
    monkeypatch.setenv("AIRFLOW__AI_ETL__CACHE_ENABLED", "true")
    llms = {"planner": LLM.from_model("planner", model.model)}
    context = validation_context(catalogs)

    def run() -> Any:
        return generate(PAID, catalogs, agent_llms=llms, context=context, today=TODAY, dry_run=False)

    first = run()
    asked = model.calls
    second = run()
    assert asked >= 1
    assert model.calls == asked
    assert first.spec == second.spec
    planned = [e for e in second.events if e.agent == "planner" and e.phase == "end"]
    assert len(planned) == asked
    assert all(e.data["cache"] == "exact" and "from the LLM cache" in e.message for e in planned)
    (usage,) = [u for u in second.usage if u.agent == "planner"]
    assert (usage.requests, usage.cache_hits, usage.saved_input_tokens) == (0, asked, 1000 * asked)


def test_the_schema_analysts_model_call_is_served_from_the_cache_like_any_agents(cache, catalogs) -> None:
    from airflow_ai_etl.agents.schema_analyst import select_schema

    analyst = CountingModel({"response": ["shop_pg:public.orders"]})
    llm = LLM.from_model("schema_analyst", analyst.model)

    def choose(request: str) -> tuple[list[str], AgentCall]:
        call = AgentCall()
        with cache_scope(request, catalogs, cache=cache):
            selection = select_schema(request, catalogs, llm=llm, call=call)
        return [f"{t.conn_id}:{t.name}" for t in selection.tables], call

    first, first_call = choose(PAID)
    again, again_call = choose(PAID)
    paraphrase, paraphrase_call = choose(PAID_AGAIN)
    assert first == again == paraphrase == ["shop_pg:public.orders"]
    assert first_call.cache.tier is None and first_call.usage.requests == 1
    assert again_call.cache.tier == "exact" and again_call.usage.requests == 0
    assert again_call.cache.saved.input_tokens == 1000
    assert paraphrase_call.cache.tier == "intent"
    _tables, refunded_call = choose(REFUNDED)
    assert refunded_call.cache.tier is None
    assert analyst.calls == 2


def test_the_contrast_set_through_the_embedding_proposals_gives_no_wrong_hit(catalogs) -> None:
    """Each pair through a fresh cache, keyed as the planner's call is: A's answer is stored, then B
    looks up. The embeddings propose A for B (near-identical requests embed close); only equal
    intents hit."""
    from airflow_ai_etl.agents.planner import schema_section
    from airflow_ai_etl.cache.calls import CacheScope
    from airflow_ai_etl.cache.keys import CallIdentity
    from tests.unit.cache.conftest import contrast_pairs

    identity = CallIdentity.of("test:planner", "", "planner instructions", PipelineSpec, [])
    schema = schema_section(catalogs)

    def tier(a: str, b: str) -> str | None:
        cache = ModelCache(MemoryBackend(ttl_s=3600, max_entries=100))

        def keys(request: str) -> Any:
            scope = CacheScope(request, catalogs, cache=cache)
            return scope.keys(identity, f"## Request\n{request}\n\n## Schema\n{schema}")

        cache.store(keys(a), '{"answer": "for A"}', SpentUsage(1, 1000, 200))
        hit = cache.lookup(keys(b))
        return hit.tier if hit is not None else None

    pairs = contrast_pairs()
    wrong = [(a, b) for a, b in pairs["miss"] if tier(a, b) is not None]
    right = [tier(a, b) for a, b in pairs["hit"]]
    assert wrong == []
    assert set(right) <= {"intent", None}
    assert right.count("intent") / len(right) >= 0.8


def test_another_process_finds_the_answer_through_the_shared_records(model, catalogs) -> None:
    """Two caches on one backend, as two workers on one Redis: the second has never seen the group,
    fetches its records, and serves a paraphrase of what the first stored."""
    backend = MemoryBackend(ttl_s=3600, max_entries=100)
    Planner(ModelCache(backend), model)(PAID, catalogs)
    spec, call = Planner(ModelCache(backend), model)(PAID_AGAIN, catalogs)
    assert (model.calls, call.cache.tier, spec.request) == (1, "intent", PAID_AGAIN)


def test_a_damaged_intent_record_is_never_a_candidate(planner, model, catalogs) -> None:
    planner(PAID, catalogs)
    backend = planner.cache.backend
    assert isinstance(backend, MemoryBackend)
    for group, (total, kept) in backend._records.items():
        backend._records[group] = (total, type(kept)([b"{not a record", *(r[:-3] for r in kept)]))
    fresh = Planner(ModelCache(backend), model)
    _spec, call = fresh(PAID_AGAIN, catalogs)
    assert (model.calls, call.cache.tier) == (2, None)


def test_only_a_group_with_records_costs_an_embedding(model, catalogs, monkeypatch) -> None:
    from airflow_ai_etl.cache.calls import CacheScope
    from airflow_ai_etl.cache.keys import CallIdentity
    from airflow_ai_etl.cache.proposals import Proposer
    from airflow_ai_etl.memory.embeddings import Embedder

    monkeypatch.setenv("AI_ETL_EMBEDDINGS", "lexical")  # the count matters here, not the vectors
    encoded: list[str] = []

    class Counting(Embedder):
        def encode(self, texts):  # type: ignore[no-untyped-def]
            encoded.extend(texts)
            return super().encode(texts)

    cache = ModelCache(MemoryBackend(ttl_s=3600, max_entries=100), Proposer(Counting()))
    planner = Planner(cache, model)
    identity = CallIdentity.of("test:model", "", "instructions", PipelineSpec, [])
    keys = CacheScope(PAID, catalogs, cache=cache).keys(identity, f"plan: {PAID}")
    assert keys.intent is not None
    assert cache.lookup(keys) is None and encoded == []  # a new group: nothing to propose
    planner(PAID, catalogs)  # the miss stores the answer and its record: one embedding
    assert encoded == [PAID]
    _spec, call = planner(PAID_AGAIN, catalogs)
    assert call.cache.tier == "intent" and encoded == [PAID, PAID_AGAIN]
