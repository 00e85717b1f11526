"""`ai-etl` run inside the test process: a subprocess per call would pay Airflow's start-up each time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from airflow_ai_etl.cli import main


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def ai_etl(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """`ai_etl("cache", "stats")` runs `ai-etl cache stats` and returns its exit code and output."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        assert "Traceback" not in err, err
        return CliResult(code, out, err)

    return run
