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

The critics are independent, so they are asked at once, one thread each (at most `MAX_CRITICS`),
and each has `[ai_etl] critic_timeout_seconds` to answer: one that hangs is a verdict "no answer
(timeout ...)", and the vote does not wait for it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from airflow.sdk import conf
from airflow.sdk.exceptions import AirflowConfigException

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
#: More critics than this are a configuration error: each one is a thread and a model call per draft.
MAX_CRITICS = 9
#: Seconds one critic may take before its verdict is "no answer (timeout)".
DEFAULT_CRITIC_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class CriticSettings:
    count: int = DEFAULT_CRITICS
    conn_ids: tuple[str, ...] = ()
    agreement: float = DEFAULT_AGREEMENT
    timeout_s: float = DEFAULT_CRITIC_TIMEOUT_S


class CriticConfigError(LLMUnavailable):
    """The critics' settings are not usable (a configuration error, reported like a bad connection)."""


def critic_settings() -> CriticSettings:
    """`[ai_etl] critic_count`, `critic_conn_ids`, `critic_agreement` and `critic_timeout_seconds`,
    checked."""
    raw_ids = config_value("critic_conn_ids") or ""
    conn_ids = tuple(dict.fromkeys(c.strip() for c in raw_ids.split(",") if c.strip()))
    try:
        count = conf.getint(CONFIG_SECTION, "critic_count", fallback=DEFAULT_CRITICS)
        agreement = conf.getfloat(CONFIG_SECTION, "critic_agreement", fallback=DEFAULT_AGREEMENT)
        timeout_s = conf.getfloat(CONFIG_SECTION, "critic_timeout_seconds", fallback=DEFAULT_CRITIC_TIMEOUT_S)
    except (ValueError, AirflowConfigException) as exc:  # Airflow's parser raises the latter
        raise CriticConfigError(
            f"[ai_etl] critic_count / critic_agreement / critic_timeout_seconds: {exc}"
        ) from exc
    if not 0 <= count <= MAX_CRITICS:
        raise CriticConfigError(
            f"[ai_etl] critic_count = {count}: use 0 (no critics) to {MAX_CRITICS}, e.g. {DEFAULT_CRITICS}"
        )
    if timeout_s <= 0:
        raise CriticConfigError(f"[ai_etl] critic_timeout_seconds = {timeout_s:g}: use a positive number")
    if not 0 < agreement <= 1:
        raise CriticConfigError(f"[ai_etl] critic_agreement = {agreement}: use a share in (0, 1], e.g. 0.66")
    return CriticSettings(count=count, conn_ids=conn_ids, agreement=agreement, timeout_s=timeout_s)


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
    name = critic_name(index, llm)
    agent = llm.create_agent(CriticAnswer, instructions=load_prompt("critic"))
    try:
        answer = run_agent(agent, _prompt(request, spec, index, count), call)
    except MODEL_ERRORS as exc:
        return CriticVerdict(critic=name, verdict="failed", error=describe_error(exc))
    verdict = "agrees" if answer.matches else "disagrees"
    return CriticVerdict(critic=name, verdict=verdict, mismatches=answer.mismatches)


def critic_name(index: int, llm: LLM) -> str:
    return f"critic {index} ({llm.label})"


def ask_critics(
    llms: Sequence[LLM], request: str, spec: PipelineSpec, calls: Sequence[AgentCall], *, timeout_s: float
) -> list[CriticVerdict]:
    """Every critic at once, one thread each, in critic order; a critic without an answer after
    `timeout_s` is a failed verdict "no answer (timeout ...)". Its thread is not waited for: the
    model request under it ends on its own time-out (the guard's), and what it spends is counted
    in its `call` until then."""
    count = len(llms)
    pool = ThreadPoolExecutor(max_workers=max(count, 1), thread_name_prefix="ai-etl-critic")
    try:
        futures: list[Future[CriticVerdict]] = [
            # Each thread gets a copy of this context: the LLM cache's scope lives in a ContextVar.
            pool.submit(
                contextvars.copy_context().run,
                ask_critic,
                llm,
                request,
                spec,
                index=index,
                count=count,
                call=call,
            )
            for index, (llm, call) in enumerate(zip(llms, calls, strict=True), start=1)
        ]
        wait(futures, timeout=timeout_s)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    verdicts = []
    for index, (llm, call, future) in enumerate(zip(llms, calls, futures, strict=True), start=1):
        if future.done() and not future.cancelled():
            verdicts.append(future.result())
            continue
        call.ended = call.started + timeout_s
        verdicts.append(
            CriticVerdict(
                critic=critic_name(index, llm), verdict="failed", error=f"timeout after {timeout_s:g} s"
            )
        )
    return verdicts
