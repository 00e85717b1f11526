"""What the critics said about a draft: each critic's verdict and mismatches, and the vote.

Data only (no model library), so results, the store and the page can carry a vote; the critics
that produce it are agents/critics.py.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: The critics' agent name: in events, usage, and the `[ai_etl] critic_*` keys.
CRITIC = "critic"

#: What a critic checks the draft against the request for.
Aspect = Literal["tables", "filters", "keys", "schedule", "checks", "other"]

#: Share of critics that must agree for a draft not to be flagged (the issue's 66% consensus).
DEFAULT_AGREEMENT = 0.66


class Mismatch(BaseModel):
    """One concrete way the draft differs from the request."""

    model_config = ConfigDict(extra="forbid")

    aspect: Aspect
    asked: str = Field(description="What the request asks for, quoting or paraphrasing it.")
    draft: str = Field(description="What the draft does instead (a step id, table, column, cron, ...).")

    def __str__(self) -> str:
        return f"{self.aspect}: asked {self.asked!r}, the draft has {self.draft!r}"


class CriticAnswer(BaseModel):
    """A critic's answer as the model gives it."""

    model_config = ConfigDict(extra="forbid")

    matches: bool = Field(description="Whether the draft does what the request asks.")
    mismatches: list[Mismatch] = Field(
        default_factory=list, description="Every concrete mismatch; empty when the draft matches."
    )

    @model_validator(mode="after")
    def _consistent(self) -> CriticAnswer:
        if self.matches and self.mismatches:
            raise ValueError("matches is true but mismatches are listed: set matches to false or drop them")
        if not self.matches and not self.mismatches:
            raise ValueError("matches is false: list at least one concrete mismatch")
        return self


class CriticVerdict(BaseModel):
    """One critic's verdict: it agrees, disagrees (with mismatches), or failed to judge."""

    model_config = ConfigDict(extra="forbid")

    critic: str = Field(description="Which critic: its number and model.")
    verdict: Literal["agrees", "disagrees", "failed"]
    mismatches: list[Mismatch] = Field(default_factory=list)
    error: str | None = Field(default=None, description="Why a failed critic gave no verdict.")

    def __str__(self) -> str:
        if self.verdict == "failed":
            return f"{self.critic}: no answer ({self.error})"
        if self.verdict == "agrees":
            return f"{self.critic}: agrees"
        return f"{self.critic}: disagrees - " + "; ".join(map(str, self.mismatches))


class CriticVote(BaseModel):
    """The critics' vote on one draft. A critic that failed counts as not agreeing: a draft is
    never passed on the strength of a check that did not happen."""

    model_config = ConfigDict(extra="forbid")

    verdicts: list[CriticVerdict]
    threshold: float = DEFAULT_AGREEMENT

    @property
    def agreeing(self) -> int:
        return sum(v.verdict == "agrees" for v in self.verdicts)

    @property
    def agreement(self) -> float:
        return self.agreeing / len(self.verdicts) if self.verdicts else 0.0

    @property
    def flagged(self) -> bool:
        return self.agreement < self.threshold

    @property
    def mismatches(self) -> list[Mismatch]:
        """Every critic's mismatches, each once."""
        seen: dict[str, Mismatch] = {}
        for verdict in self.verdicts:
            for mismatch in verdict.mismatches:
                seen.setdefault(str(mismatch), mismatch)
        return list(seen.values())

    def summary(self) -> str:
        share = f"{self.agreeing} of {len(self.verdicts)} critics agree ({self.agreement:.0%})"
        if not self.flagged:
            return share
        return f"{share}: FLAGGED, below {self.threshold:.0%} agreement - review the mismatches"
