"""mypy checks every module of the package: no `exclude` pattern of its configuration matches one."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_no_package_module_is_excluded_from_mypy() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    modules = [p.relative_to(ROOT).as_posix() for p in (ROOT / "airflow_ai_etl").rglob("*.py")]
    assert "airflow_ai_etl/dags/ai_etl_generate.py" in modules
    excluded = [m for m in modules if any(re.search(pattern, m) for pattern in config["exclude"])]
    assert excluded == []
