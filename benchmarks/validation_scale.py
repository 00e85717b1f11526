"""Validation time against the number of steps: the curve must stay linear.

    .venv/bin/python benchmarks/validation_scale.py [--sizes 50,100,250,500,1000,2000]

Each spec repeats a chain of four steps (a sql step creating a table from the source, a transfer
of it to the warehouse, a quality check on the copy, a file export), each depending on the one
before, against hand-built catalogs of 200 tables per connection: the whole of `validate_spec`
(graph, connections, SQL, schemas, table order) and the YAML round trip `loads_spec` runs on. Sizes
past MAX_STEPS are built without the step bound to show the trend. Prints seconds per size, the
time per step, and the ratio of the largest size's time per step to the smallest's (reference:
1.0 = linear; target < 2). Target: 500 steps in under 5 s.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from airflow_ai_etl.catalog.connections import ConnectionInfo
from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table
from airflow_ai_etl.spec import PipelineSpec, dumps_spec, loads_spec, parse_spec
from airflow_ai_etl.spec.models import MAX_STEPS
from airflow_ai_etl.validation import ValidationContext, validate_spec

TARGET_SECONDS_AT_500 = 5.0
TABLES = 200


def _catalog(conn_id: str, schema: str) -> SchemaCatalog:
    columns = [Column(name="id", type="bigint", nullable=False), Column(name="amount", type="numeric(12,2)")]
    tables = [
        Table(name=f"t{i}", schema_name=schema, columns=columns, primary_key=["id"]) for i in range(TABLES)
    ]
    return SchemaCatalog(conn_id=conn_id, dialect="postgres", default_schema="public", tables=tables)


def _chain(i: int) -> list[dict[str, Any]]:
    source = f"shop.t{i % TABLES}"
    return [
        {
            "id": f"make_{i}",
            "kind": "sql",
            "conn_id": "shop",
            "sql": f"CREATE TABLE IF NOT EXISTS work.c{i} AS SELECT id, amount * 2 AS amount FROM {source} "
            "WHERE amount > 0",
            **({"depends_on": [f"export_{i - 1}"]} if i else {}),
        },
        {
            "id": f"copy_{i}",
            "kind": "transfer",
            "source": {"conn_id": "shop", "sql": f"SELECT id, amount FROM work.c{i}"},
            "target": {"conn_id": "dwh", "table": f"dwh.t{i % TABLES}"},
            "mode": "upsert",
            "key": ["id"],
            "depends_on": [f"make_{i}"],
        },
        {
            "id": f"check_{i}",
            "kind": "quality_check",
            "conn_id": "dwh",
            "table": f"dwh.t{i % TABLES}",
            "checks": [
                {"column": "id", "check": "unique"},
                {"check": "expression", "name": "positive", "condition": "amount >= 0"},
            ],
            "depends_on": [f"copy_{i}"],
        },
        {
            "id": f"export_{i}",
            "kind": "file_export",
            "source": {"conn_id": "dwh", "sql": f"SELECT id, amount FROM dwh.t{i % TABLES}"},
            "path": f"/tmp/exports/t{i}.csv",
            "format": "csv",
            "depends_on": [f"check_{i}"],
        },
    ]


def spec_of(steps: int) -> PipelineSpec:
    chains = [step for i in range((steps + 3) // 4) for step in _chain(i)][:steps]
    head = parse_spec({"dag_id": "scale", "start_date": "2026-01-01", "steps": chains[:1]})
    if steps <= MAX_STEPS:
        return parse_spec({"dag_id": "scale", "start_date": "2026-01-01", "steps": chains})
    return head.model_copy(
        update={"steps": [parse_spec({**head.model_dump(), "steps": [s]}).steps[0] for s in chains]}
    )


def context() -> ValidationContext:
    info = {c: ConnectionInfo(c, "postgres", "postgres") for c in ("shop", "dwh")}
    return ValidationContext(
        connections=info, catalogs={"shop": _catalog("shop", "shop"), "dwh": _catalog("dwh", "dwh")}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,100,250,500,1000,2000")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    ctx = context()
    validate_spec(spec_of(8), ctx)  # warm the per-catalog caches, as a long-lived process has them
    per_step = {}
    print(f"{'steps':>6} {'parse s':>8} {'validate s':>10} {'ms/step':>8} {'errors':>6}")
    for size in sizes:
        spec = spec_of(size)
        text = dumps_spec(spec)
        started = time.perf_counter()
        if size <= MAX_STEPS:
            loads_spec(text)
        parsed = time.perf_counter() - started
        started = time.perf_counter()
        report = validate_spec(spec, ctx)
        seconds = time.perf_counter() - started
        per_step[size] = (parsed + seconds) / size
        print(
            f"{size:>6} {parsed:>8.3f} {seconds:>10.3f} {1000 * per_step[size]:>8.2f} {len(report.errors):>6}"
        )
        if report.errors:
            raise SystemExit(f"the benchmark spec does not validate: {report.errors[0]}")
    ratio = per_step[max(sizes)] / per_step[min(sizes)]
    print(f"time per step at {max(sizes)} vs {min(sizes)} steps: {ratio:.2f}x (1.0 = linear; target < 2)")
    if 500 in per_step:
        total = per_step[500] * 500
        print(f"500 steps: {total:.2f} s (target < {TARGET_SECONDS_AT_500} s)")


if __name__ == "__main__":
    main()
