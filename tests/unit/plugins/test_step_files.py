"""A draft's step files (transform code) for review: listed with their hashes, marked live once the
deploy target holds exactly them, and shown as new-file diffs until then."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from airflow_ai_etl.deploy.targets import LocalTarget
from airflow_ai_etl.plugins.views import new_files_diff, step_files_out
from airflow_ai_etl.spec.models import PipelineSpec

CODE = "def transform(batch):\n    return batch"


def spec() -> PipelineSpec:
    step = {
        "id": "pass_through",
        "kind": "python_transform",
        "source": {"conn_id": "shop", "table": "orders"},
        "target": {"conn_id": "shop", "table": "orders_copy"},
        "code": CODE,
    }
    return PipelineSpec(dag_id="copy", start_date=dt.date(2026, 1, 1), steps=[step])  # type: ignore[list-item]


def test_new_code_is_listed_in_full_and_as_a_new_file_diff(tmp_path: Path) -> None:
    (file,) = step_files_out(spec(), LocalTarget(tmp_path))
    assert file.is_code and not file.live and CODE in file.text
    assert file.path.startswith("transforms/copy.pass_through.") and file.sha256[:12] in file.path
    diff = new_files_diff([file])
    assert f"+++ draft/{file.path}" in diff and "+def transform(batch):" in diff

    live = tmp_path / "ai_etl" / file.path
    live.parent.mkdir(parents=True)
    live.write_text(file.text)
    (again,) = step_files_out(spec(), LocalTarget(tmp_path))
    assert again.live and new_files_diff([again]) == ""
