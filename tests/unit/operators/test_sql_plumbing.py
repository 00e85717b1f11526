"""The shared SQL plumbing: upsert is refused, naming the field, on a target that cannot do it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from airflow.sdk import BaseHook

from airflow_ai_etl.operators._sql import require_upsert


def test_upsert_targets(
    airflow_conn: Callable[..., None], sqlite_db: Callable[..., Path], tmp_path: Path
) -> None:
    sqlite_db("wh")
    airflow_conn("ch", conn_type="clickhouse", extra={"interface": "chdb", "path": str(tmp_path / "ch")})
    require_upsert(BaseHook.get_hook("wh"), "load: target_conn_id 'wh'")
    with pytest.raises(ValueError, match="load: target_conn_id 'ch': upsert by key needs INSERT"):
        require_upsert(BaseHook.get_hook("ch"), "load: target_conn_id 'ch'")
