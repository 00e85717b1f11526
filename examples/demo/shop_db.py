"""Create the demo's source database: a small shop in SQLite (customers, orders, order_items).

The rows are the same on every run (fixed seed, fixed clock), so rerunning the demo moves nothing
new and the warehouse ends up with the same contents.

    python examples/demo/shop_db.py PATH   # (re)creates PATH
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import sys
from pathlib import Path

CUSTOMERS = 60
ORDERS = 300
COUNTRIES = ("DE", "FR", "NL", "PL", "SE", "ES", "IT")
STATUSES = ("placed", "paid", "shipped", "delivered", "returned")
FIRST_NAMES = ("Ada", "Grace", "Linus", "Barbara", "Edsger", "Margaret", "Ken", "Frances", "Donald", "Radia")
LAST_NAMES = ("Lovelace", "Hopper", "Torvalds", "Liskov", "Dijkstra", "Hamilton", "Thompson", "Allen")
EPOCH = dt.datetime(2026, 1, 1, 8, 0, 0)

SCHEMA = """
CREATE TABLE customers (
    customer_id INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    country     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE orders (
    order_id    INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (customer_id),
    status      TEXT NOT NULL,
    ordered_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE order_items (
    order_id    INTEGER NOT NULL REFERENCES orders (order_id),
    line_no     INTEGER NOT NULL,
    sku         TEXT NOT NULL,
    quantity    INTEGER NOT NULL,
    unit_price  NUMERIC NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
"""


def _ts(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def create_shop_db(path: Path) -> dict[str, int]:
    """(Re)create the database at `path`; returns the row count of each table."""
    rng = random.Random(20260101)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    customers, orders, items = [], [], []
    for customer_id in range(1, CUSTOMERS + 1):
        created = EPOCH + dt.timedelta(hours=customer_id)
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        customers.append((customer_id, name, rng.choice(COUNTRIES), _ts(created), _ts(created)))
    for order_id in range(1, ORDERS + 1):
        ordered = EPOCH + dt.timedelta(days=3, minutes=37 * order_id)
        updated = ordered + dt.timedelta(minutes=rng.randint(0, 600))
        orders.append((order_id, rng.randint(1, CUSTOMERS), rng.choice(STATUSES), _ts(ordered), _ts(updated)))
        for line_no in range(1, rng.randint(1, 4) + 1):
            price = rng.randint(199, 9_999) / 100
            items.append((order_id, line_no, f"SKU-{rng.randint(1, 40):03d}", rng.randint(1, 5), price))
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA)
        conn.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?)", customers)
        conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?)", orders)
        conn.executemany("INSERT INTO order_items VALUES (?, ?, ?, ?, ?)", items)
    conn.close()
    return {"customers": len(customers), "orders": len(orders), "order_items": len(items)}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} PATH")
    counts = create_shop_db(Path(sys.argv[1]))
    print(", ".join(f"{table}: {n} rows" for table, n in counts.items()))
