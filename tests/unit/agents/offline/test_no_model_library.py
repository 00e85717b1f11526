"""The offline path loads no model library: generating without a model must not import pydantic-ai
(it is heavy, and a deployment without a model should not need it to plan)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]

SCRIPT = textwrap.dedent(
    """
    import sys

    from airflow_ai_etl.agents.orchestrator import generate
    from tests.unit.agents.offline.conftest import TODAY, shop_catalog, validation_context, warehouse_catalog

    catalogs = [shop_catalog(), warehouse_catalog()]
    for offline in (True, False):  # asked for, and because no model connection is configured
        result = generate(
            "every night at 2 load orders from shop_pg into the warehouse",
            catalogs,
            today=TODAY,
            context=validation_context(catalogs),
            dry_run=False,
            offline=offline,
        )
        assert result.ok, result.reason
        assert result.planned_by.startswith("offline"), result.planned_by
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("pydantic_ai", "openai", "anthropic"))
    print("LOADED:" + ",".join(loaded))
    """
)


def test_an_offline_generation_imports_no_model_library() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AIRFLOW__AI_ETL__LLM_CONN_ID": ""}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = done.stdout.rsplit("LOADED:", 1)[1].strip()
    assert loaded == "", f"the offline path imported: {loaded}"
