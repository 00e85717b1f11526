"""Critics that vote: after validation passes, N critics judge independently whether the draft
does what the request asked (tables, filters, keys, schedule, checks), each listing concrete
mismatches as typed output (agents/verdicts.py).

Which critics: `[ai_etl] critic_conn_ids` (connections, assigned to the critics in turn), else
the critic agent's connection (`critic_llm_conn_id` / `critic_model`, then the defaults, as for
any agent); `[ai_etl] critic_count` critics (default 3; 0 turns them off); a draft with less than
`[ai_etl] critic_agreement` (default 0.66) of them agreeing is flagged, not blocked. Each critic
is told its number, so that critics on the same model are separate calls (and separate LLM-cache
entries), not one answer counted thrice. A critic whose model fails or times out gives no verdict
and counts as not agreeing.
"""

from __future__ import annotations

from dataclasses import dataclass

from airflow.sdk import conf

from airflow_ai_etl.agents.llm import LLM, MODEL_ERRORS, AgentCall, connect, run_agent
from airflow_ai_etl.agents.llm_config import (
    CONFIG_SECTION,
    LLMChoice,
    LLMUnavailable,
    config_value,
    describe_error,
)
from airflow_ai_etl.agents.prompting import data_block, load_prompt
from airflow_ai_etl.agents.verdicts import CRITIC, DEFAULT_AGREEMENT, CriticAnswer, CriticVerdict
from airflow_ai_etl.spec import PipelineSpec, dumps_spec

DEFAULT_CRITICS = 3


@dataclass(frozen=True)
class CriticSettings:
    count: int = DEFAULT_CRITICS
    conn_ids: tuple[str, ...] = ()
    agreement: float = DEFAULT_AGREEMENT


class CriticConfigError(LLMUnavailable):
    """The critics' settings are not usable (a configuration error, reported like a bad connection)."""


def critic_settings() -> CriticSettings:
    """`[ai_etl] critic_count`, `critic_conn_ids` and `critic_agreement`, checked."""
    raw_ids = config_value("critic_conn_ids") or ""
    conn_ids = tuple(dict.fromkeys(c.strip() for c in raw_ids.split(",") if c.strip()))
    try:
        count = conf.getint(CONFIG_SECTION, "critic_count", fallback=DEFAULT_CRITICS)
        agreement = conf.getfloat(CONFIG_SECTION, "critic_agreement", fallback=DEFAULT_AGREEMENT)
    except ValueError as exc:
        raise CriticConfigError(f"[ai_etl] critic_count / critic_agreement: {exc}") from exc
    if count < 0:
        raise CriticConfigError(f"[ai_etl] critic_count = {count}: use 0 (no critics) or more")
    if not 0 < agreement <= 1:
        raise CriticConfigError(f"[ai_etl] critic_agreement = {agreement}: use a share in (0, 1], e.g. 0.66")
    return CriticSettings(count=count, conn_ids=conn_ids, agreement=agreement)


def critic_llms(settings: CriticSettings, wide: LLMChoice | None = None) -> list[LLM]:
    """One model per critic; [] when there are no critics or no connection for them. Raises
    LLMUnavailable for a named connection that gives no model."""
    if settings.count == 0:
        return []
    if settings.conn_ids:
        choices = [
            LLMChoice(conn_id=settings.conn_ids[i % len(settings.conn_ids)]) for i in range(settings.count)
        ]
    else:
        choices = [wide or LLMChoice()] * settings.count
    llms = []
    for choice in choices:
        llm = connect(CRITIC, choice)
        if llm is None:
            return []
        llms.append(llm)
    return llms


def _prompt(request: str, spec: PipelineSpec, index: int, count: int) -> str:
    return "\n\n".join(
        [
            f"You are critic {index} of {count}; the others judge the same draft without seeing your answer.",
            f"## Request\n{data_block('request', request)}",
            f"## Spec\n{data_block('spec', dumps_spec(spec))}",
        ]
    )


def ask_critic(
    llm: LLM, request: str, spec: PipelineSpec, *, index: int, count: int, call: AgentCall
) -> CriticVerdict:
    """Critic number `index` of `count` judges `spec`; a model that fails (down, timed out,
    answers that never fit) gives a failed verdict saying why, never an exception."""
    name = f"critic {index} ({llm.label})"
    agent = llm.create_agent(CriticAnswer, instructions=load_prompt("critic"))
    try:
        answer = run_agent(agent, _prompt(request, spec, index, count), call)
    except MODEL_ERRORS as exc:
        return CriticVerdict(critic=name, verdict="failed", error=describe_error(exc))
    verdict = "agrees" if answer.matches else "disagrees"
    return CriticVerdict(critic=name, verdict=verdict, mismatches=answer.mismatches)
