"""Value summaries: bounded, read-only samples of low-cardinality text columns, never of secrets;
the offline planner reads a sampled value in the request as a filter on its column."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from airflow_ai_etl.agents.offline import plan_offline
from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table
from airflow_ai_etl.catalog.sqlite import read_sqlite_catalog
from airflow_ai_etl.catalog.values import summarise, with_value_summaries
from airflow_ai_etl.spec import TransferStep
from tests.unit.agents.offline.conftest import TODAY


class _FileHook:
    """The two calls the readers make of a SqliteHook, on a real file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def get_uri(self) -> str:
        return f"sqlite:///{self.path}"

    def get_conn(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path)


@pytest.fixture(scope="module")
def tickets(tmp_path_factory: pytest.TempPathFactory) -> SchemaCatalog:
    path = tmp_path_factory.mktemp("values") / "desk.db"
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE tickets (ticket_id INTEGER PRIMARY KEY, state TEXT, channel TEXT, subject TEXT,
                                  api_token TEXT, opened_at TEXT, priority INTEGER);
            """
        )
        states = ["open", "escalated", "closed"]
        channels = ["web", "phone", "chat", "email"]
        db.executemany(
            "INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (i, states[i % 3], channels[i % 4], f"subject {i}", f"tok-{i % 2}", "2026-01-01", i % 5)
                for i in range(300)
            ],
        )
    hook = _FileHook(path)
    catalog = read_sqlite_catalog(hook, conn_id="desk")  # type: ignore[arg-type]
    sampled = with_value_summaries(catalog, hook, limit=5)  # type: ignore[arg-type]
    after = sqlite3.connect(path).execute("SELECT COUNT(*) FROM tickets").fetchone()
    assert after == (300,)
    return sampled


def _values(catalog: SchemaCatalog) -> dict[str, list[str] | None]:
    (table,) = catalog.tables
    return {c.name: c.values for c in table.columns}


def test_low_cardinality_text_columns_get_their_values(tickets: SchemaCatalog) -> None:
    values = _values(tickets)
    assert values["state"] == ["closed", "escalated", "open"]
    assert values["channel"] == ["chat", "email", "phone", "web"]


def test_secrets_keys_times_numbers_and_free_text_are_not_summarised(tickets: SchemaCatalog) -> None:
    values = _values(tickets)
    # api_token has two values but its name says secret; subject has 300; the rest are not categories
    assert [values[c] for c in ("api_token", "subject", "ticket_id", "opened_at", "priority")] == [None] * 5


def test_values_are_data_not_structure(tickets: SchemaCatalog) -> None:
    bare = tickets.model_copy(
        update={
            "tables": [
                t.model_copy(update={"columns": [c.model_copy(update={"values": None}) for c in t.columns]})
                for t in tickets.tables
            ]
        }
    )
    assert bare.fingerprint() == tickets.fingerprint()


def test_a_column_over_the_limit_gets_no_summary() -> None:
    rows = [(f"v{i % 7}", "x") for i in range(50)]
    assert summarise(rows, 2, limit=6) == [None, ["x"]]
    assert summarise(rows, 2, limit=7)[0] == [f"v{i}" for i in range(7)]


def test_a_sampled_value_in_the_request_is_a_filter(tickets: SchemaCatalog) -> None:
    result = plan_offline("copy escalated tickets into hot_tickets", [tickets], today=TODAY)
    assert result.ok and result.spec is not None, result.reason
    (load,) = [s for s in result.spec.steps if isinstance(s, TransferStep)]
    assert "WHERE" in (load.source.sql or "") and "state = 'escalated'" in (load.source.sql or "")
    assert any("'escalated' is a value of state" in line for line in result.understood)


def test_a_value_of_two_columns_is_a_refusal_naming_both() -> None:
    columns = [
        Column(name="id", type="INTEGER"),
        Column(name="origin", type="TEXT", values=["north", "south"]),
        Column(name="destination", type="TEXT", values=["north", "west"]),
    ]
    catalog = SchemaCatalog(conn_id="trips", dialect="sqlite", tables=[Table(name="trips", columns=columns)])
    result = plan_offline("copy north trips into north_trips", [catalog], today=TODAY)
    assert not result.ok and result.reason is not None
    assert "origin = 'north'" in result.reason and "destination = 'north'" in result.reason
