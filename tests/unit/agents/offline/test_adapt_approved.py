"""The offline planner adapts an approved pipeline to a request of the same shape, and says so."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_ai_etl.agents.offline import plan_offline
from airflow_ai_etl.agents.offline.adapt import Adaptation, adapt_nearest
from airflow_ai_etl.agents.orchestrator import generate
from airflow_ai_etl.catalog.models import Column, SchemaCatalog
from airflow_ai_etl.memory.embeddings import Embedder, default_embedder
from airflow_ai_etl.memory.fingerprints import spec_fingerprints
from airflow_ai_etl.memory.pipelines import ApprovedPipeline, spec_connections
from airflow_ai_etl.store import Store
from tests.unit.agents.offline.conftest import TODAY, shop_catalog, validation_context, warehouse_catalog

Edit = Callable[[dict[str, Any]], None]


def _approved(request: str, catalogs: list[SchemaCatalog], edit: Edit | None = None) -> ApprovedPipeline:
    """The offline plan of `request`, as a person edited and approved it."""
    plan = plan_offline(request, catalogs, today=TODAY)
    assert plan.ok and plan.spec is not None, plan.reason
    spec = plan.spec.model_dump(mode="json")
    if edit is not None:
        edit(spec)
    return ApprovedPipeline(
        deployment_id=7,
        dag_id=spec["dag_id"],
        request=request,
        spec=spec,
        conn_ids=spec_connections(spec),
        approver="bob",
        approved_at="2026-01-10T08:00:00+00:00",
        catalog_fingerprints=spec_fingerprints(spec, catalogs),
    )


def _adapt(request: str, approved: ApprovedPipeline, catalogs: list[SchemaCatalog]) -> Adaptation | None:
    plan = plan_offline(request, catalogs, today=TODAY)
    assert plan.ok, plan.reason
    return adapt_nearest(plan, [approved], catalogs, today=TODAY)


def _load(adapted: Adaptation) -> Any:
    return next(s for s in adapted.spec.steps if s.kind == "transfer")


def _tuned(spec: dict[str, Any]) -> None:
    """What a reviewer changes before approving: retries, batch size, a rounded measure; and what
    must never travel to another pipeline: a grant, a permission to destroy, checks nobody asked for."""
    spec["retries"] = 4
    load = next(s for s in spec["steps"] if s["kind"] == "transfer")
    load["batch_size"] = 500
    load["source"]["sql"] = load["source"]["sql"].replace("SUM(amount)", "ROUND(SUM(amount), 2)")
    target = load["target"]["table"]
    spec["steps"] += [
        {"id": "grant_readers", "kind": "sql", "conn_id": "warehouse", "depends_on": [load["id"]],
         "sql": f"GRANT SELECT ON {target} TO readers"},
        {"id": "analyze_total_amount_per_status", "kind": "sql", "conn_id": "warehouse",
         "depends_on": [load["id"]], "sql": f"ANALYZE {target}",
         "allow_destructive": [{"operation": "drop", "table": target}]},
        {"id": "check_total", "kind": "quality_check", "conn_id": "warehouse", "table": target,
         "depends_on": [load["id"]], "checks": [{"check": "row_count", "min": 100}]},
    ]  # fmt: skip


def test_a_request_of_the_same_shape_gets_the_approved_pipeline_with_its_own_tables_and_values(
    catalogs: list[SchemaCatalog],
) -> None:
    approved = _approved("copy orders where status is 'shipped' into the warehouse", catalogs)
    adapted = _adapt("copy customers where country is 'DE' into the warehouse", approved, catalogs)
    assert adapted is not None
    assert (
        adapted.note == "adapted from approved pipeline orders_to_warehouse (deployment 7, approved by bob)"
    )
    sql = _load(adapted).source.sql
    assert "FROM public.customers" in sql and "country = 'DE'" in sql and "email" in sql
    assert "orders" not in sql and "shipped" not in sql and "status" not in sql
    assert _load(adapted).target.table == "public.customers"
    assert [s.id for s in adapted.spec.steps] == ["create_customers", "load_customers"]


def test_the_approved_structure_is_kept_but_grants_and_unasked_checks_are_not(
    catalogs: list[SchemaCatalog],
) -> None:
    approved = _approved("total amount per status of orders into the warehouse", catalogs, _tuned)
    adapted = _adapt("total price per product_id of order_items into the warehouse", approved, catalogs)
    assert adapted is not None
    spec = adapted.spec
    load = _load(adapted)
    assert (
        "ROUND(SUM(price), 2) AS total_price" in load.source.sql
        and "FROM public.order_items" in load.source.sql
    )
    assert spec.retries == 4 and load.batch_size == 500
    steps = {s.id: s for s in spec.steps}
    assert "analyze_total_price_per_product_id" in steps  # the extra step, renamed for the new target
    analyze = steps["analyze_total_price_per_product_id"]
    assert analyze.sql == "ANALYZE public.total_price_per_product_id" and analyze.allow_destructive == []
    assert analyze.depends_on == [load.id]
    assert not any("GRANT" in (getattr(s, "sql", "") or "").upper() for s in spec.steps)
    assert not any(s.kind == "quality_check" for s in spec.steps)  # the new request asks for none


def test_the_new_literal_is_used_never_the_approved_one(catalogs: list[SchemaCatalog]) -> None:
    approved = _approved("copy orders where status is 'shipped' into the warehouse", catalogs)
    adapted = _adapt("copy orders where status is 'cancelled' into the warehouse", approved, catalogs)
    assert adapted is not None
    sql = _load(adapted).source.sql
    assert "status = 'cancelled'" in sql and "shipped" not in sql


@pytest.mark.parametrize(
    "request_text",
    [
        "average amount per status of orders into the warehouse",  # another aggregate
        "total amount per status of orders into the warehouse where status is 'paid'",  # one more clause
        "copy orders into the warehouse",  # a copy, not an aggregate
    ],
)
def test_a_request_of_another_shape_is_planned_as_usual(
    catalogs: list[SchemaCatalog], request_text: str
) -> None:
    approved = _approved("total amount per status of orders into the warehouse", catalogs)
    assert _adapt(request_text, approved, catalogs) is None


def test_no_adaptation_across_connections_or_over_changed_tables(catalogs: list[SchemaCatalog]) -> None:
    approved = _approved("copy orders where status is 'shipped' into the warehouse", catalogs)
    mart = warehouse_catalog().model_copy(update={"conn_id": "mart"})
    assert _adapt("copy customers where country is 'DE' into mart", approved, [shop_catalog(), mart]) is None
    shop = shop_catalog()
    orders = shop.find_table("public.orders")
    assert orders is not None
    widened = orders.model_copy(update={"columns": [*orders.columns, Column(name="note", type="text")]})
    changed = shop.model_copy(update={"tables": [widened if t is orders else t for t in shop.tables]})
    changed_catalogs = [changed, warehouse_catalog()]
    assert (
        _adapt("copy customers where country is 'DE' into the warehouse", approved, changed_catalogs) is None
    )
    unrecorded = ApprovedPipeline(**{**approved.__dict__, "catalog_fingerprints": {}})
    assert _adapt("copy customers where country is 'DE' into the warehouse", unrecorded, catalogs) is None


def test_an_approved_filter_the_request_does_not_give_is_not_carried(catalogs: list[SchemaCatalog]) -> None:
    def narrowed(spec: dict[str, Any]) -> None:
        load = next(s for s in spec["steps"] if s["kind"] == "transfer")
        load["source"]["sql"] += " AND amount > 100"

    approved = _approved("copy orders where status is 'shipped' into the warehouse", catalogs, narrowed)
    assert _adapt("copy orders where status is 'cancelled' into the warehouse", approved, catalogs) is None


# --- through the generation, with a real store and memory ------------------------------------------


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("AIRFLOW__AI_ETL__STORE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setenv("AI_ETL_MEMORY_DIR", str(tmp_path / "memory"))
    monkeypatch.setenv("AI_ETL_EMBEDDINGS", "lexical")  # which pipeline is nearest matters here, not why
    default_embedder.cache_clear()
    yield Store.from_url(f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.delenv("AI_ETL_EMBEDDINGS")
    default_embedder.cache_clear()


def _generate(request: str, catalogs: list[SchemaCatalog]) -> Any:
    return generate(
        request, catalogs, today=TODAY, context=validation_context(catalogs), dry_run=False, offline=True
    )


def _deploy(store: Store, request: str, result: Any) -> None:
    row = store.create_request(request=request, conn_ids=["shop_pg", "warehouse"], created_by="alice")
    spec = result.spec.model_dump(mode="json")
    draft = store.add_draft(
        request_id=row.id, dag_id=spec["dag_id"], state="ready", created_by="alice", spec=spec,
        report=result.report.model_dump(mode="json"),
    )  # fmt: skip
    store.record_deployment(
        dag_id=spec["dag_id"], version=1, action="deploy", draft_id=draft.id, path="/dags/x.py",
        spec_sha256="0" * 64, deployed_by="bob",
    )  # fmt: skip


def test_a_generation_adapts_the_nearest_approved_pipeline_and_says_so(
    store: Store, catalogs: list[SchemaCatalog], monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded: list[bool] = []
    original = Embedder._ensure_loaded
    monkeypatch.setattr(Embedder, "_ensure_loaded", lambda self: loaded.append(True) or original(self))
    first = _generate("copy orders where status is 'shipped' into the warehouse", catalogs)
    assert first.ok and "adapted" not in first.planned_by  # an empty memory: the plain plan
    assert not loaded  # and no embedding model was loaded to find that out
    assert list(first.report.catalog_fingerprints) == ["shop_pg:public.orders"]
    _deploy(store, "copy orders where status is 'shipped' into the warehouse", first)

    second = _generate("copy customers where country is 'DE' into the warehouse", catalogs)
    assert second.ok, second.reason
    said = "adapted from approved pipeline orders_to_warehouse (deployment 1, approved by bob)"
    assert second.planned_by == f"offline (asked for), {said}"
    assert any(e.message == said for e in second.events)
    assert any(f.code == "plan.adapted" and said in f.message for f in second.report.findings)
    assert second.spec is not None and "country = 'DE'" in (second.spec.steps[1].source.sql or "")


def test_without_a_store_the_offline_plan_is_made_as_usual(
    catalogs: list[SchemaCatalog], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW__AI_ETL__STORE_URL", "postgresql://nobody@127.0.0.1:1/none")
    result = _generate("copy orders where status is 'shipped' into the warehouse", catalogs)
    assert result.ok and result.planned_by == "offline (asked for)"


def test_an_adapted_plan_that_fails_the_checks_gives_way_to_the_plain_plan(
    catalogs: list[SchemaCatalog], monkeypatch: pytest.MonkeyPatch
) -> None:
    def purging(spec: dict[str, Any]) -> None:  # approved with a person's grant to delete rows
        spec["steps"].append(
            {"id": "purge", "kind": "sql", "conn_id": "warehouse", "depends_on": ["load_orders"],
             "sql": "DELETE FROM public.orders WHERE status = 'shipped'",
             "allow_destructive": [{"operation": "delete", "table": "public.orders"}]}
        )  # fmt: skip

    approved = _approved("copy orders where status is 'shipped' into the warehouse", catalogs, purging)
    monkeypatch.setattr("airflow_ai_etl.agents.grounding.approved_candidates", lambda *_: [approved])
    result = _generate("copy customers where country is 'DE' into the warehouse", catalogs)
    assert result.ok and result.planned_by == "offline (asked for)"
    assert result.spec is not None and [s.id for s in result.spec.steps] == [
        "create_customers",
        "load_customers",
    ]
