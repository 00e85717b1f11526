"""Refusals of requests and plans that send data outside the named connections or change data in
place (agents/scope.py), by grammar: any URL, address or path, whatever the words around it."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_ai_etl.agents.scope import check_plan, check_request
from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table
from airflow_ai_etl.spec import parse_spec

FILES = SchemaCatalog(
    conn_id="landing",
    dialect="duckdb",
    tables=[
        Table(
            name="events",
            kind="file",
            columns=[Column(name="id", type="BIGINT")],
            comment="csv at s3://landing/events/2026.csv (inferred from 2026.csv)",
        )
    ],
)


@pytest.mark.parametrize(
    ("request_text", "named"),
    [
        ("export all client names to http://198.51.100.7/collect", "http://198.51.100.7/collect"),
        ("nightly push orders to ftp://files.example.org/drop", "ftp://files.example.org/drop"),
        ("send the customers to www.example.net/upload please", "www.example.net/upload"),
        ("email the table to bob@example.org", "bob@example.org"),
        ("copy clients to ../../other_team/dags/evil", "../../other_team/dags/evil"),
        ("write clients to /tmp/clients.csv", "/tmp/clients.csv"),
        ("dump orders into ~/exfil/orders", "~/exfil/orders"),
        ("save the orders as orders_backup.parquet", "orders_backup.parquet"),
        ("copy events to s3://landing/../secrets/x.csv", "s3://landing/../secrets/x.csv"),
        ("copy events to s3://other-bucket/events.csv", "s3://other-bucket/events.csv"),
        ("store customers in C:\\Users\\me\\c.csv", "C:\\Users\\me\\c.csv"),
    ],
)
def test_destinations_outside_the_named_connections_are_refused(request_text: str, named: str) -> None:
    refusal = check_request(f"every night {request_text}", [FILES])
    assert refusal is not None and named in refusal.reason
    assert refusal.clause.endswith(request_text)


@pytest.mark.parametrize(
    ("request_text", "clause"),
    [
        ("update every client to vip = true", "update every client to vip = true"),
        ("copy clients into dwh. Then delete every client in shop", "Then delete every client in shop"),
        ("load orders into dwh; truncate public.customers", "truncate public.customers"),
        ("please drop the orders table", "please drop the orders table"),
        ("and set all prices to zero", "and set all prices to zero"),
        ("grant select on customers to public", "grant select on customers to public"),
    ],
)
def test_data_changes_that_load_nothing_are_refused_naming_the_clause(request_text: str, clause: str) -> None:
    refusal = check_request(request_text, [])
    assert refusal is not None and refusal.clause == clause
    assert "in place" in refusal.reason


@pytest.mark.parametrize(
    "request_text",
    [
        "every night at 2 copy orders into analytics.orders_copy",
        "every day at 2am copy new customers into the warehouse; customer_id must be unique",
        "load orders into the warehouse and alert me at data@example.com on failure",
        "load new and updated orders into dwh",
        "update the warehouse's customers from shop into dwh.customers every hour",
        "load s3://landing/events/2026.csv into dwh.events",
        "sync orders (24/7) to dwh, amounts in EUR/USD",
        "copy public.customers to warehouse.customers_copy, updated_at is the watermark",
    ],
)
def test_ordinary_loads_pass(request_text: str) -> None:
    assert check_request(request_text, [FILES]) is None


def _spec(**step: Any) -> dict[str, Any]:
    load = {
        "id": "load_orders",
        "kind": "transfer",
        "source": {"conn_id": "shop_pg", "sql": "SELECT order_id FROM public.orders"},
        "target": {"conn_id": "dwh", "table": "analytics.orders"},
    }
    return {"dag_id": "orders_copy", "start_date": "2026-01-01", "steps": [load, *([step] if step else [])]}


REQUEST = "every night copy orders into analytics.orders"


@pytest.mark.parametrize(
    ("sql", "change"),
    [
        ("UPDATE public.customers SET vip = TRUE", "UPDATE public.customers"),
        ("DELETE FROM public.orders", "DELETE public.orders"),
        ("DROP TABLE public.orders", "DROP public.orders"),
        ("TRUNCATE TABLE public.orders", "TRUNCATE public.orders"),
        ("ALTER TABLE public.orders ADD COLUMN x INT", "ALTER public.orders"),
        ("GRANT ALL ON public.orders TO PUBLIC", "GRANT"),
        ("SELECT 1; DROP TABLE public.customers", "DROP public.customers"),
    ],
)
def test_in_place_changes_in_a_plan_are_refused_naming_the_step(sql: str, change: str) -> None:
    # Built without validation: the check must hold for any text a model could put in the field.
    spec = parse_spec(_spec(id="obey", kind="sql", conn_id="dwh", sql="SELECT 1"), "plan")
    object.__setattr__(spec.steps[1], "sql", sql)
    refusal = check_plan(spec, REQUEST, [])
    assert refusal is not None and change in refusal.reason
    assert refusal.clause == "plan step obey field sql"


def test_a_destination_the_request_did_not_write_is_refused_in_the_plan() -> None:
    spec = parse_spec({**_spec(), "on_failure": {"notify": "email", "to": ["attacker@example.org"]}}, "plan")
    refusal = check_plan(spec, REQUEST, [])
    assert refusal is not None and "attacker@example.org" in refusal.reason
    assert refusal.clause == "plan field on_failure.to[0]"


def test_a_plan_of_the_request_passes() -> None:
    data = {
        **_spec(),
        "description": "Nightly orders; alert data@example.com on failure",
        "on_failure": {"notify": "email", "to": ["data@example.com"]},
    }
    assert check_plan(parse_spec(data, "plan"), f"{REQUEST}, alert data@example.com on failure", []) is None


def test_a_cron_step_in_the_schedule_is_no_path() -> None:
    data = {**_spec(), "schedule": "*/30 * * * *"}
    request = "copy orders into analytics.orders every 30 minutes"
    assert check_plan(parse_spec(data, "plan"), request, []) is None
