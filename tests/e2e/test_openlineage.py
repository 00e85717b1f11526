"""OpenLineage from our operators through the provider's real listener, during `airflow dags test`:
the events written by its file transport name the exact datasets, fields and column lineage. The
same run publishes its lifecycle event on Kafka (Tansu) through our plugin's listener.

One DAG, one run: SQL step (common-sql's own lineage), a PostgreSQL -> PostgreSQL transfer with a
join, an export to a local CSV, a load of that CSV, and a row-count check. The file carries the
renderer's marker line, which is how the listener tells generated DAGs from others (a DAG
without it publishes nothing: tests/unit/lifecycle). `dags test` creates its run already running,
so Airflow calls no `on_dag_run_running` there: run.started comes from the scheduler.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest

from airflow_ai_etl.lifecycle.event import event_schema
from airflow_ai_etl.render.dagfile import GENERATED_MARKER
from tests.e2e.conftest import Airflow
from tests.support.kafka import Topic, tansu_broker
from tests.support.pg import run

pytestmark = pytest.mark.e2e

DAG_ID = "e2e_lineage"
SOURCE = """
CREATE TABLE public.customers (id integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.orders (id integer PRIMARY KEY, customer_id integer, amount numeric(10, 2));
INSERT INTO public.customers VALUES (1, 'ada'), (2, 'bob');
INSERT INTO public.orders VALUES (1, 1, 10.50), (2, 2, 20.00), (3, 1, 5.25);
"""
TRANSFER_SQL = (
    "SELECT o.id AS order_id, c.name AS customer, o.amount * 100 AS cents "
    "FROM public.orders o JOIN public.customers c ON c.id = o.customer_id"
)

DAG_FILE = """{marker}
import pendulum
from airflow.sdk import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow_ai_etl.operators import FileToSqlOperator, SqlToFileOperator, TransferOperator
from airflow_ai_etl.operators.quality import RowCountChangeOperator

with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2026, 1, 1), catchup=False):
    create = SQLExecuteQueryOperator(
        task_id="create_facts",
        conn_id="dwh",
        sql="CREATE TABLE IF NOT EXISTS public.order_facts (order_id integer, customer text, cents numeric)",
    )
    facts = TransferOperator(
        task_id="load_facts", source_conn_id="shop", target_conn_id="dwh",
        target_table="public.order_facts", source_sql={sql!r}, mode="replace",
    )
    export = SqlToFileOperator(
        task_id="export_facts", source_conn_id="dwh", path="{csv}", format="csv",
        sql="SELECT order_id, cents FROM public.order_facts",
    )
    reload = FileToSqlOperator(
        task_id="load_csv", path="{csv}", format="csv", target_conn_id="dwh",
        target_table="public.cents", mode="replace",
    )
    count = RowCountChangeOperator(
        task_id="count_facts", conn_id="dwh", table="public.order_facts", max_drop_pct=50
    )
    create >> facts >> export >> reload >> count
"""


@pytest.fixture(scope="module")
def broker() -> Iterator[str]:
    with tansu_broker() as bootstrap:
        yield bootstrap


def _lifecycle(bootstrap: str, topic: str, settle: float = 3.0) -> list[dict[str, Any]]:
    """Every lifecycle event on the topic, read until none arrived for `settle` seconds."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"{topic}_reader"})
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    events: list[dict[str, Any]] = []
    quiet_since = time.monotonic()
    try:
        while time.monotonic() - quiet_since < settle:
            message = consumer.poll(0.3)
            if message is not None and message.error() is None:
                events.append(json.loads(message.value()))
                quiet_since = time.monotonic()
    finally:
        consumer.close()
    return events


def _events(path: Path) -> dict[str, dict[str, Any]]:
    """The COMPLETE event of each task, by task id (the transport writes one JSON object per line)."""
    events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {
        e["job"]["name"].split(".", 1)[1]: e
        for e in events
        if e["eventType"] == "COMPLETE" and e["job"]["name"].startswith(f"{DAG_ID}.")
    }


def _datasets(datasets: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(d["namespace"], d["name"]) for d in datasets]


def _fields(dataset: dict[str, Any]) -> list[str]:
    return [f["name"] for f in dataset["facets"]["schema"]["fields"]]


def _columns(dataset: dict[str, Any]) -> dict[str, list[tuple[str, str, str]]]:
    fields = dataset["facets"]["columnLineage"]["fields"]
    return {
        column: [(f["name"], f["field"], f["transformations"][0]["subtype"]) for f in lineage["inputFields"]]
        for column, lineage in fields.items()
    }


def test_operators_emit_exact_datasets_and_column_lineage(
    airflow: Airflow,
    pg_database: Callable[[], str],
    airflow_conn: Callable[..., None],
    broker: str,
    tmp_path: Path,
) -> None:
    shop, dwh = pg_database(), pg_database()
    run(shop, SOURCE)
    run(dwh, "CREATE TABLE public.cents (order_id integer, cents numeric)")
    airflow_conn("shop", shop)
    airflow_conn("dwh", dwh)
    csv = tmp_path / "out" / "facts.csv"
    (airflow.dags_folder / f"{DAG_ID}.py").write_text(
        DAG_FILE.format(marker=GENERATED_MARKER, dag_id=DAG_ID, sql=TRANSFER_SQL, csv=csv)
    )
    airflow_conn("events_kafka", conn_type="kafka", extra=json.dumps({"bootstrap.servers": broker}))
    topic = Topic(broker)
    events_file = tmp_path / "openlineage.jsonl"
    airflow.extra.update(
        {
            "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
                {"type": "file", "log_file_path": str(events_file), "append": True}
            ),
            "AIRFLOW__OPENLINEAGE__NAMESPACE": "ai_etl_e2e",
            "AIRFLOW__AI_ETL__EVENTS_CONN_ID": "events_kafka",
            "AIRFLOW__AI_ETL__EVENTS_TOPIC": topic.name,
        }
    )

    airflow.run("airflow", "dags", "test", DAG_ID)

    events = _events(events_file)
    assert set(events) >= {"create_facts", "load_facts", "export_facts", "load_csv", "count_facts"}
    pg = "postgres://{}".format(urlsplit(shop).netloc.split("@")[-1])
    shop_db, dwh_db = urlsplit(shop).path.strip("/"), urlsplit(dwh).path.strip("/")
    assert all(e["job"]["namespace"] == "ai_etl_e2e" for e in events.values())

    load = events["load_facts"]
    assert _datasets(load["inputs"]) == [
        (pg, f"{shop_db}.public.orders"),
        (pg, f"{shop_db}.public.customers"),
    ]
    assert _fields(load["inputs"][0]) == ["id", "customer_id", "amount"]
    (facts,) = load["outputs"]
    assert (facts["namespace"], facts["name"]) == (pg, f"{dwh_db}.public.order_facts")
    assert _fields(facts) == ["order_id", "customer", "cents"]
    assert _columns(facts) == {
        "order_id": [(f"{shop_db}.public.orders", "id", "IDENTITY")],
        "customer": [(f"{shop_db}.public.customers", "name", "IDENTITY")],
        "cents": [(f"{shop_db}.public.orders", "amount", "TRANSFORMATION")],
    }
    assert facts["outputFacets"]["outputStatistics"]["rowCount"] == 3
    assert load["job"]["facets"]["sql"]["query"] == TRANSFER_SQL

    export = events["export_facts"]
    assert _datasets(export["inputs"]) == [(pg, f"{dwh_db}.public.order_facts")]
    (file_out,) = export["outputs"]
    assert (file_out["namespace"], file_out["name"]) == ("file", str(csv))
    assert _columns(file_out) == {
        "order_id": [(f"{dwh_db}.public.order_facts", "order_id", "IDENTITY")],
        "cents": [(f"{dwh_db}.public.order_facts", "cents", "IDENTITY")],
    }

    reload = events["load_csv"]
    assert _datasets(reload["inputs"]) == [("file", str(csv))]
    (cents,) = reload["outputs"]
    assert (cents["namespace"], cents["name"]) == (pg, f"{dwh_db}.public.cents")
    assert _columns(cents) == {
        "order_id": [(str(csv), "order_id", "IDENTITY")],
        "cents": [(str(csv), "cents", "IDENTITY")],
    }

    count = events["count_facts"]
    assert _datasets(count["inputs"]) == [(pg, f"{dwh_db}.public.order_facts")]
    assert count["outputs"] == []

    # The provider's own SQL lineage names the same table the same way as ours.
    assert _datasets(events["create_facts"]["outputs"]) == [(pg, f"{dwh_db}.public.order_facts")]

    # The run's lifecycle event, from the plugin's DAG-run listener.
    (succeeded,) = _lifecycle(broker, topic.name)
    jsonschema.validate(succeeded, event_schema())
    assert (succeeded["type"], succeeded["dag_id"]) == ("run.succeeded", DAG_ID)
    assert succeeded["details"]["state"] == "success" and succeeded["details"]["run_id"].startswith(
        "manual__"
    )
