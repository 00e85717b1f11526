"""Publishing lifecycle events without ever holding up the caller.

`emit` puts the event on a bounded in-process queue and returns: a queue put, microseconds. A
daemon thread takes events off the queue and hands them to a confluent-kafka producer, which
delivers them in the background. When the queue is full (the broker is down or slow for long),
the event is dropped. Every event that could not be sent (dropped, refused by the producer, or
not delivered within `message.timeout.ms`) is counted, in `Publisher.counts` and as the Stats
counters `ai_etl.events.dropped` / `ai_etl.events.failed`, and each kind of failure is logged
once per process, not once per event.

At process exit the queue is flushed for at most `[ai_etl] events_flush_seconds`, and not at all
once the producer has reported the brokers down: a short-lived process (a task, `ai-etl deploy`)
never waits for a broker that is not there.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import threading
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any, Literal

from airflow_ai_etl.observability import metrics

log = logging.getLogger(__name__)

DEFAULT_TOPIC = "ai_etl.lifecycle"
DEFAULT_QUEUE_SIZE = 10_000
DEFAULT_FLUSH_SECONDS = 2.0
#: Producer settings a lifecycle publisher needs unless the connection says otherwise: give up on
#: an event after 10 s instead of librdkafka's 5 minutes, so a broker outage is reported promptly;
#: and keep librdkafka's own log to critical lines, or a broker that is down is a line per
#: reconnect on stderr (its errors reach `error_cb`, which logs each kind once).
PRODUCER_DEFAULTS = {"message.timeout.ms": "10000", "socket.timeout.ms": "5000", "log_level": "2"}
_STOP = object()


class Publisher:
    """A bounded queue in front of a Kafka producer, drained by one daemon thread."""

    def __init__(
        self,
        config: Mapping[str, Any],
        topic: str,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        flush_seconds: float = DEFAULT_FLUSH_SECONDS,
    ) -> None:
        self.flush_seconds = flush_seconds
        self.config = {**PRODUCER_DEFAULTS, **{k: v for k, v in config.items() if k != "group.id"}}
        self.topic = topic
        self.counts: Counter[str] = Counter()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._reported: set[str] = set()
        self._producer: Any = None
        self.brokers_down = False
        # Stats resolved here, in the caller's thread: a first import inside a delivery callback
        # can take seconds on a loaded machine, and holds up every callback behind it.
        metrics.warm_up()

    def publish(self, event: Mapping[str, Any]) -> bool:
        """Queue one event; False (counted, logged once) when the queue is full. Never raises."""
        try:
            value = json.dumps(event, separators=(",", ":"), default=str).encode()
            key = str(event.get("dag_id") or "").encode() or None
            self._queue.put_nowait((key, value))
        except queue.Full:
            self._lost("dropped", f"the queue of {self._queue.maxsize} events is full (broker down or slow?)")
            return False
        except (TypeError, ValueError) as error:  # an event that is not JSON: a bug, never the caller's
            self._lost("dropped", f"an event could not be encoded: {error}")
            return False
        self._ensure_thread()
        return True

    def flush(self, timeout: float) -> int:
        """Wait up to `timeout` seconds for queued events to be delivered; the number still pending."""
        deadline = time.monotonic() + timeout
        while not self._queue.empty() and time.monotonic() < deadline and not self.brokers_down:
            time.sleep(0.01)
        producer = self._producer
        left = self._queue.qsize()
        if producer is not None:
            left += int(producer.flush(0 if self.brokers_down else max(0.0, deadline - time.monotonic())))
        return left

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ai-etl-lifecycle-events", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        try:
            from confluent_kafka import Producer

            self._producer = Producer({**self.config, "error_cb": self._error})
        except Exception as error:  # confluent-kafka missing or a bad config: every event is lost
            self._lost("failed", f"no Kafka producer ({error})", self._queue.qsize())
            self._drain()
            return
        producer = self._producer
        while True:
            try:
                key, value = self._queue.get(timeout=0.1)
            except queue.Empty:
                producer.poll(0)
                continue
            try:
                producer.produce(self.topic, value=value, key=key, on_delivery=self._delivered)
            except BufferError:
                self._lost("failed", "the producer's buffer is full")
            except Exception as error:  # a topic name Kafka refuses, a closed producer
                self._lost("failed", f"the producer refused an event ({error})")
            producer.poll(0)

    def _drain(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def _error(self, error: Any) -> None:
        """librdkafka's global errors: 'all brokers down' marks the brokers unreachable."""
        from confluent_kafka import KafkaError

        if error.code() == KafkaError._ALL_BROKERS_DOWN:
            self.brokers_down = True
        self._report(f"error:{error.code()}", f"Kafka reports: {error.str()} (logged once)")

    def _delivered(self, error: Any, message: Any) -> None:
        if error is None:
            self.counts["sent"] += 1
            self.brokers_down = False
            return
        self._lost("failed", f"an event was not delivered: {error.str()}")

    def _lost(self, kind: Literal["dropped", "failed"], reason: str, count: int = 1) -> None:
        self.counts[kind] += count
        if kind == "dropped":  # `metrics` never raises: a metrics backend down must not matter here
            metrics.events_dropped(count)
        else:
            metrics.events_failed(count)
        self._report(
            kind,
            f"Lifecycle events to topic {self.topic!r} are being lost: {reason} "
            f"(logged once; counted in ai_etl.events.{kind})",
        )

    def _report(self, kind: str, message: str) -> None:
        if kind not in self._reported:
            self._reported.add(kind)
            log.warning("%s", message)


class _ProcessPublisher:
    """The one publisher of this process, built from the configuration on first use.

    Built again in a forked child (LocalExecutor workers fork from the scheduler): the parent's
    thread and producer do not exist there.
    """

    lock = threading.Lock()
    publisher: Publisher | None = None
    configured = False
    pid = 0


def configured_publisher() -> Publisher | None:
    """The process's publisher for `[ai_etl] events_conn_id`, or None when events are off."""
    state = _ProcessPublisher
    if state.configured and state.pid == os.getpid():
        return state.publisher
    with state.lock:
        if not state.configured or state.pid != os.getpid():
            try:
                state.publisher = _build()
            except Exception as error:  # e.g. an [ai_etl] events_* option that is not a number
                log.warning("No lifecycle events in this process: %s", error)
                state.publisher = None
            state.configured, state.pid = True, os.getpid()
            if state.publisher is not None:
                atexit.register(_flush_at_exit, state.publisher)
    return state.publisher


def _build() -> Publisher | None:
    from airflow_ai_etl.config import config_float, config_int, config_str

    conn_id = config_str("events_conn_id")
    if conn_id is None:
        return None
    from airflow_ai_etl.catalog.connections import airflow_connection

    try:
        extra = airflow_connection(conn_id).extra_dejson
    except Exception as error:  # the connection is missing: say so once, publish nothing
        log.warning("[ai_etl] events_conn_id %r cannot be read (%s): no lifecycle events", conn_id, error)
        return None
    return Publisher(
        extra,
        config_str("events_topic") or DEFAULT_TOPIC,
        max(1, config_int("events_queue_size", DEFAULT_QUEUE_SIZE)),
        config_float("events_flush_seconds", DEFAULT_FLUSH_SECONDS),
    )


def _flush_at_exit(publisher: Publisher) -> None:
    left = publisher.flush(publisher.flush_seconds)
    if left:
        publisher._lost("failed", f"{left} event(s) were still undelivered at exit", left)


def emit(event_type: str, dag_id: str | None, **details: Any) -> None:
    """Publish one lifecycle event if events are configured. Never raises, never waits."""
    try:
        publisher = configured_publisher()
        if publisher is None:
            return
        from airflow_ai_etl.lifecycle.event import lifecycle_event

        publisher.publish(lifecycle_event(event_type, dag_id, **details))
    except Exception:  # events are a side channel: nothing about them may fail the caller
        log.warning("A %s lifecycle event could not be published", event_type, exc_info=True)


def reset() -> None:
    """Forget the process's publisher (tests that change `[ai_etl] events_*` between cases)."""
    with _ProcessPublisher.lock:
        _ProcessPublisher.publisher, _ProcessPublisher.configured = None, False
