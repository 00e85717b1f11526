"""A real S3 API for tests: moto in server mode on 127.0.0.1 (a free port, once per session), fresh
buckets, and an Airflow `aws` connection (`lake`) pointing at it through `endpoint_url`. Shared by
the integration and e2e tests (import the fixtures into a conftest or test module)."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """Start moto's threaded server once per session; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def lake_connection(endpoint: str) -> str:
    """The AIRFLOW_CONN_* value of an aws connection to the test endpoint."""
    extra = {"endpoint_url": endpoint, "region_name": "us-east-1"}
    return json.dumps({"conn_type": "aws", "login": "testing", "password": "testing", "extra": extra})


class Bucket:
    """A fresh bucket on the test endpoint, with helpers to put and read objects."""

    def __init__(self, endpoint: str) -> None:
        import boto3

        self.name = f"lake-{uuid.uuid4().hex[:10]}"
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        self.client.create_bucket(Bucket=self.name)

    def url(self, key: str) -> str:
        return f"s3://{self.name}/{key}"

    def put(self, key: str, body: bytes | str) -> None:
        self.client.put_object(
            Bucket=self.name, Key=key, Body=body.encode() if isinstance(body, str) else body
        )

    def get(self, key: str) -> bytes:
        data: bytes = self.client.get_object(Bucket=self.name, Key=key)["Body"].read()
        return data

    def keys(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name).get("Contents", [])
        return sorted(item["Key"] for item in listed)


@pytest.fixture
def bucket(s3_endpoint: str, airflow_conn: Callable[..., None], monkeypatch: pytest.MonkeyPatch) -> Bucket:
    """A fresh bucket, and the `lake` connection to its endpoint."""
    monkeypatch.setenv("AIRFLOW_CONN_LAKE", lake_connection(s3_endpoint))
    return Bucket(s3_endpoint)
