"""Finding and Report: the machine-readable outcome of validation.

A repair loop reads `code`, `step_id` and `field` to decide which agent must fix what; the UI and
the CLI print `message` and `hint`.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    severity: Severity
    code: str = Field(description="Stable dotted code, e.g. 'sql.unknown_table'.")
    message: str
    step_id: str | None = None
    field: str | None = Field(default=None, description="Path of the spec field at fault, e.g. 'source.sql'.")
    hint: str | None = None

    def __str__(self) -> str:
        where = ".".join(p for p in (self.step_id, self.field) if p)
        text = f"{self.severity.value.upper()} {self.code}" + (f" [{where}]" if where else "")
        text += f": {self.message}"
        return text + (f" (hint: {self.hint})" if self.hint else "")


class Report(BaseModel):
    model_config = ConfigDict(extra="forbid")

    findings: list[Finding] = Field(default_factory=list)
    catalog_fingerprints: dict[str, str] = Field(
        default_factory=dict,
        description="`conn:schema.table` -> structural fingerprint of each table the valid draft "
        "touches (memory/fingerprints.py): pipeline memory adapts an approved draft only while they hold.",
    )

    @property
    def ok(self) -> bool:
        """Valid: no finding of severity error (warnings do not block a deploy)."""
        return not self.errors

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    def extend(self, findings: Iterable[Finding]) -> Report:
        self.findings.extend(findings)
        return self

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def to_text(self) -> str:
        if not self.findings:
            return "valid: no findings"
        verdict = "valid" if self.ok else "invalid"
        head = f"{verdict}: {len(self.errors)} error(s), {len(self.warnings)} warning(s)"
        return "\n".join([head, *(f"  {f}" for f in self.findings)])
