"""What a deploy or rollback returns, and the error that says why nothing was published."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from airflow_ai_etl.validation.report import Report

DeployAction = Literal["deploy", "rollback", "unchanged"]


class Deployment(BaseModel):
    """A published (or already live, `action='unchanged'`) DAG file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dag_id: str
    path: Path
    spec_sha256: str
    version: int
    action: DeployAction
    parse_requested: bool
    message: str
    report: Report | None = None
    #: The pushed commit, when the target publishes by git.
    commit: str | None = None


class DeployError(RuntimeError):
    """Nothing was published; the live version (if any) stays live.

    `report` holds the validation findings when the spec was invalid; `import_errors` maps a file
    name to Airflow's import error when the rendered file failed the import check.
    """

    def __init__(
        self, message: str, *, report: Report | None = None, import_errors: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.report = report
        self.import_errors = dict(import_errors or {})

    def details(self) -> str:
        """The message followed by the findings and import errors, for people."""
        lines = [self.message]
        if self.report is not None:
            lines.append(self.report.to_text())
        lines += [f"  {name}: {error.rstrip()}" for name, error in self.import_errors.items()]
        return "\n".join(lines)
