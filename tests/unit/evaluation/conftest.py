"""A small suite over the demo shop database, written to a temp folder with the demo's shop_db.py."""

from __future__ import annotations

from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[3] / "examples" / "demo"

SMALL_SUITE = f"""
connections: [shop, warehouse]
sqlite_databases:
  - {{conn_id: shop, script: {DEMO / "shop_db.py"}}}
  - {{conn_id: warehouse}}
cases:
  - name: copy_customers
    request: copy customers into the warehouse every day at 2am
    expect:
      tables: [customers]
      targets: [customers]
      step_kinds: [sql, transfer]
      modes: [replace]
      schedule: "0 2 * * *"
  - name: wrong_expectations
    request: copy orders into the warehouse
    expect:
      tables: [customers]
      modes: [upsert]
  - name: refuses_unknown_table
    request: copy products into the warehouse
    expect: {{ok: false}}
"""


@pytest.fixture
def small_suite(tmp_path: Path) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(SMALL_SUITE)
    return path
