"""A real StatsD listener on 127.0.0.1, and Airflow's `[metrics]` pointed at it.

The package's metrics go through Airflow's Stats, configured as a team would configure it
(`[metrics] statsd_on`, `statsd_host`, `statsd_port`, `statsd_influxdb_enabled` for the tags);
the listener parses the UDP lines the statsd client sends.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest


@dataclass(frozen=True)
class Line:
    """One StatsD line: `name,tag=value,...:value|type`."""

    name: str
    tags: dict[str, str]
    value: float
    type: str

    @classmethod
    def parse(cls, text: str) -> Line:
        head, _, rest = text.partition(":")
        value, _, kind = rest.partition("|")
        name, *pairs = head.split(",")
        tags = dict(pair.split("=", 1) for pair in pairs)
        return cls(name, tags, float(value), kind.split("|")[0])


@dataclass
class StatsdListener:
    sock: socket.socket
    prefix: str
    lines: list[Line] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def collect(self, quiet_s: float = 0.3) -> list[Line]:
        """Every line received so far, waiting until nothing arrived for `quiet_s`."""
        self.sock.settimeout(quiet_s)
        while True:
            try:
                data = self.sock.recv(65535)
            except TimeoutError:
                return self.lines
            for text in data.decode().splitlines():
                self.lines.append(Line.parse(text))

    def named(self, name: str) -> list[Line]:
        """Lines of the package metric `name` (given without Airflow's prefix)."""
        return [line for line in self.collect() if line.name == f"{self.prefix}.{name}"]


@pytest.fixture
def statsd(monkeypatch: pytest.MonkeyPatch) -> Iterator[StatsdListener]:
    """A listener, and Airflow's Stats of this process re-read from `[metrics]` pointing at it."""
    from airflow.sdk._shared.observability.metrics import stats as shared

    from airflow_ai_etl.observability import metrics

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    listener = StatsdListener(sock, prefix="airflow")
    for option, value in {
        "STATSD_ON": "True",
        "STATSD_HOST": "127.0.0.1",
        "STATSD_PORT": str(listener.port),
        "STATSD_PREFIX": listener.prefix,
        "STATSD_INFLUXDB_ENABLED": "True",
    }.items():
        monkeypatch.setenv(f"AIRFLOW__METRICS__{option}", value)
    # As in a process Airflow has not initialised Stats in (the CLI): the package does it.
    monkeypatch.setattr(shared, "_factory", None)
    monkeypatch.setattr(shared, "_backend", None)
    monkeypatch.setattr(metrics, "_ready_in", set())
    yield listener
    sock.close()
