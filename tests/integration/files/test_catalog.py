"""The file catalog on a real S3 API (moto server): an `aws` connection that lists its datasets is
introspected like any database connection, its objects sampled for columns and types."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from airflow_ai_etl.catalog.errors import CatalogError
from airflow_ai_etl.catalog.introspect import introspect
from tests.support.s3 import Bucket

pytestmark = pytest.mark.integration


def declare(monkeypatch: pytest.MonkeyPatch, s3_endpoint: str, datasets: list[dict[str, object]]) -> None:
    extra = {"endpoint_url": s3_endpoint, "region_name": "us-east-1", "ai_etl_files": datasets}
    conn = {"conn_type": "aws", "login": "testing", "password": "testing", "extra": extra}
    monkeypatch.setenv("AIRFLOW_CONN_LAKE", json.dumps(conn))


def test_an_s3_connection_is_introspected_from_its_objects(
    bucket: Bucket, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket.put("orders/2026-03-01.csv", "order_id,amount,placed_at\n1,9.5,2026-03-01 10:00:00\n2,3,\n")
    bucket.put("orders/2026-03-02.csv", "order_id,amount,placed_at\n3,1.25,2026-03-02 11:00:00\n")
    sink = io.BytesIO()
    pq.write_table(pa.table({"customer_id": pa.array([1, 2], pa.int64()), "name": ["a", "b"]}), sink)
    bucket.put("customers.parquet", sink.getvalue())
    bucket.put("events.jsonl", '{"id": 1, "payload": {"k": 1}}\n{"id": 2, "payload": null}\n')
    declare(
        monkeypatch,
        s3_endpoint,
        [
            {"path": bucket.url("orders/*.csv"), "format": "csv"},
            {"path": bucket.url("customers.parquet"), "format": "parquet"},
            {"path": bucket.url("events.jsonl"), "format": "jsonl", "name": "raw_events"},
        ],
    )
    catalog = introspect("lake")
    assert catalog.conn_id == "lake"
    tables = {t.name: t for t in catalog.tables}
    assert sorted(tables) == ["customers", "orders", "raw_events"]
    assert [(c.name, c.type) for c in tables["orders"].columns] == [
        ("order_id", "BIGINT"),
        ("amount", "DOUBLE"),
        ("placed_at", "TIMESTAMP"),
    ]
    assert "and 1 more file(s)" in (tables["orders"].comment or "")
    assert [(c.name, c.type) for c in tables["customers"].columns] == [
        ("customer_id", "BIGINT"),
        ("name", "TEXT"),
    ]
    assert tables["customers"].row_count == 2
    assert [(c.name, c.type) for c in tables["raw_events"].columns] == [("id", "BIGINT"), ("payload", "JSON")]


def test_a_missing_object_is_a_catalog_error_naming_it(
    bucket: Bucket, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    declare(monkeypatch, s3_endpoint, [{"path": bucket.url("nope.csv"), "format": "csv"}])
    with pytest.raises(CatalogError, match=rf"s3://{bucket.name}/nope\.csv does not exist"):
        introspect("lake")
