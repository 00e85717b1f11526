"""The PostgreSQL examples in dags/ run as a DAG author would run them (`airflow dags test`) against
the demo shop of docker-compose (docker/shop/init.sql) and an empty warehouse."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest

from tests.e2e.conftest import REPO, Airflow, query
from tests.support.statsd import StatsdListener, statsd  # noqa: F401  (a fixture)

pytestmark = pytest.mark.e2e


def test_the_postgresql_examples_load_and_check_the_shop(
    airflow: Airflow,
    pg_database: Callable[[], str],
    airflow_conn: Callable[..., None],
    statsd: StatsdListener,  # noqa: F811
) -> None:
    """The runs also report their metrics to a StatsD listener, through Airflow's `[metrics]`."""
    shop, warehouse = pg_database(), pg_database()
    query(shop, (REPO / "docker" / "shop" / "init.sql").read_text())
    airflow_conn("shop", shop)
    airflow_conn("warehouse", warehouse)
    for name in ("transfer_modes.py", "quality_checks.py"):
        shutil.copy(REPO / "dags" / name, airflow.dags_folder / name)

    airflow.run("airflow", "dags", "test", "example_transfer_modes")
    counts = {
        table: query(warehouse, f"SELECT COUNT(*) FROM {table}")[0][0]
        for table in ("countries", "dim_customers", "fact_orders", "daily_status_counts")
    }
    shop_counts = query(
        shop,
        "SELECT (SELECT COUNT(DISTINCT country) FROM customers), (SELECT COUNT(*) FROM customers),"
        " (SELECT COUNT(*) FROM orders), (SELECT COUNT(DISTINCT status) FROM orders)",
    )[0]
    assert tuple(counts.values()) == shop_counts
    moved = {line.tags["task_id"]: line.value for line in statsd.named("ai_etl.task.rows")}
    assert moved == {
        "replace_countries": counts["countries"],
        "upsert_customers": counts["dim_customers"],
        "incremental_orders": counts["fact_orders"],
        "append_daily_counts": counts["daily_status_counts"],
    }
    assert {line.tags["dag_id"] for line in statsd.named("ai_etl.task.runs")} == {"example_transfer_modes"}
    assert query(warehouse, "SELECT COUNT(*) FROM fact_orders f WHERE f.order_id IS NULL")[0][0] == 0

    airflow.run("airflow", "dags", "test", "example_quality_checks")
    # Two thirds of the orders vanish: the next run compares with the count the first one kept.
    query(shop, "DELETE FROM order_items WHERE order_id > 100; DELETE FROM orders WHERE order_id > 100")
    failed = airflow.run("airflow", "dags", "test", "example_quality_checks", check=False)
    output = failed.stdout + failed.stderr
    assert "orders_volume" in output and "300" in output and "100" in output
    volume = [
        line.tags["outcome"]
        for line in statsd.named("ai_etl.quality.checks")
        if line.tags["task_id"] == "orders_volume"
    ]
    assert volume == ["passed", "failed"]
    [alert] = statsd.named("ai_etl.quality.row_count_alerts")
    assert alert.tags == {"dag_id": "example_quality_checks", "table": "orders", "direction": "drop"}
