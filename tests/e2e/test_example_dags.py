"""The PostgreSQL examples in dags/ run as a DAG author would run them (`airflow dags test`) against
the demo shop of docker-compose (docker/shop/init.sql) and an empty warehouse."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest

from tests.e2e.conftest import REPO, Airflow, query

pytestmark = pytest.mark.e2e


def test_the_postgresql_examples_load_and_check_the_shop(
    airflow: Airflow, pg_database: Callable[[], str], airflow_conn: Callable[..., None]
) -> None:
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
    assert query(warehouse, "SELECT COUNT(*) FROM fact_orders f WHERE f.order_id IS NULL")[0][0] == 0

    airflow.run("airflow", "dags", "test", "example_quality_checks")
    # Two thirds of the orders vanish: the next run compares with the count the first one kept.
    query(shop, "DELETE FROM order_items WHERE order_id > 100; DELETE FROM orders WHERE order_id > 100")
    failed = airflow.run("airflow", "dags", "test", "example_quality_checks", check=False)
    output = failed.stdout + failed.stderr
    assert "orders_volume" in output and "300" in output and "100" in output
