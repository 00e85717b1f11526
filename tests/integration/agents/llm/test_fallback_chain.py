"""The hook's fallback chain: a primary `pydanticai` connection whose server is down hands every
agent's request to the next connection of its `fallback_conn_ids`; the pipeline is the model's,
not the offline planner's."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Callable
from typing import Any

import pytest

from airflow_ai_etl.agents.events import Event
from airflow_ai_etl.agents.orchestrator import generate
from tests.integration.agents.llm.test_generate_operator import SPEC, SQL
from tests.support import scripted_llm as llm

pytestmark = pytest.mark.integration


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_down_primary_fails_over_to_the_next_connection(
    shop: Any,
    scripted_llm: Any,
    airflow_conn: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    airflow_conn("llm_backup", **scripted_llm.connection())
    primary = scripted_llm.connection(fallback_conn_ids=["llm_backup"])
    primary["host"] = f"http://127.0.0.1:{_closed_port()}/v1"
    airflow_conn("llm_primary", **primary)
    for key, value in {"llm_conn_id": "llm_primary", "llm_timeout": "2", "llm_max_retries": "0"}.items():
        monkeypatch.setenv(f"AIRFLOW__AI_ETL__{key.upper()}", value)
    scripted_llm.script(
        llm.output({"response": ["shop_pg:public.orders"]}), llm.output(SPEC), llm.output({"sql": SQL})
    )
    events: list[Event] = []

    result = generate(
        "every night at 2 copy orders into analytics.orders_copy",
        [shop],
        today=dt.date(2026, 1, 1),
        tools=[],
        on_event=events.append,
    )

    assert result.ok, result.reason
    assert result.spec is not None and "offline-planner" not in result.spec.tags
    assert not any(e.agent == "offline_planner" for e in events)
    assert scripted_llm.remaining == 0 and len(scripted_llm.requests) == 3  # every agent got through
    assert {u.agent for u in result.usage} == {"schema_analyst", "planner", "sql_expert"}
