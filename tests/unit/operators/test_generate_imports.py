"""The generation task's own path stays light: what it needs to read the schemas, publish its
first events and its result imports no LLM library (an offline generation never needs one)."""

from __future__ import annotations

import subprocess
import sys


def test_the_schema_read_and_the_published_result_import_no_llm_library() -> None:
    code = (
        "import sys\n"
        "from airflow_ai_etl.operators.generate import GeneratePipelineOperator\n"
        "from airflow_ai_etl.agents.events import Event\n"
        "from airflow_ai_etl.catalog.introspect import introspect\n"
        "from airflow_ai_etl.store.generation import published_result\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic_ai', 'openai', 'torch')))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]"
