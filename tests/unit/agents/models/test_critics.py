"""Critics that vote, with scripted FunctionModels: they agree, split, disagree, time out, and a
flagged draft goes back to the planner for one more round."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from pydantic_ai.exceptions import ModelAPIError

from airflow_ai_etl.agents.events import Event, GenerationResult
from airflow_ai_etl.agents.llm import LLM
from airflow_ai_etl.agents.llm_config import CallLimits
from airflow_ai_etl.agents.orchestrator import generate
from airflow_ai_etl.agents.verdicts import CriticAnswer
from tests.unit.agents.models.test_orchestrator import REQUEST, catalog, context, spec_answer  # noqa: F401

AGREE = {"matches": True, "mismatches": []}
WRONG_SCHEDULE = {
    "matches": False,
    "mismatches": [{"aspect": "schedule", "asked": "every night at 2", "draft": "0 3 * * *"}],
}


@pytest.fixture(autouse=True)
def _three_critics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__AI_ETL__CRITIC_COUNT", "3")
    monkeypatch.delenv("AIRFLOW__AI_ETL__LLM_CONN_ID", raising=False)
    monkeypatch.setenv("AIRFLOW__AI_ETL__LLM_MAX_RETRIES", "0")


@pytest.fixture
def critics_run():
    """A generation with a scripted planner and a scripted model for all three critics."""

    def go(catalog, context, planner, critic, events: list[Event]) -> GenerationResult:  # noqa: F811
        return generate(
            REQUEST,
            [catalog],
            today=dt.date(2026, 1, 1),
            agent_llms={
                "planner": LLM.from_model("planner", planner.model, CallLimits(output_retries=1)),
                "critic": LLM.from_model("critic", critic.model, CallLimits(output_retries=1)),
            },
            tools=[],
            context=context,
            dry_run=False,
            on_event=events.append,
        )

    return go


def _critic_events(events: list[Event]) -> list[Event]:
    return [e for e in events if e.agent == "critic"]


def test_critics_that_agree_pass_the_draft(scripted, catalog, context, critics_run) -> None:  # noqa: F811
    planner, critic = scripted(spec_answer()), scripted(AGREE, AGREE, AGREE)
    events: list[Event] = []

    result = critics_run(catalog, context, planner, critic, events)

    assert result.ok, result.reason
    vote = result.critics
    assert vote is not None and [v.verdict for v in vote.verdicts] == ["agrees"] * 3
    assert vote.agreement == 1 and not vote.flagged
    assert [e.message.split(":")[0] for e in _critic_events(events)][-1] == "3 of 3 critics agree (100%)"
    assert [e.agent for e in events if e.phase == "end"][-2:] == ["critic", "renderer"]
    assert {u.agent: u.requests for u in result.usage}["critic"] == 3
    # Each critic was asked on its own (its number in the prompt), so none answered for another.
    assert len({critic.prompt_text(i) for i in range(3)}) == 3


def test_a_split_vote_above_the_threshold_is_not_flagged(scripted, catalog, context, critics_run) -> None:  # noqa: F811
    planner, critic = scripted(spec_answer()), scripted(AGREE, WRONG_SCHEDULE, AGREE)
    events: list[Event] = []

    result = critics_run(catalog, context, planner, critic, events)

    assert result.ok and result.critics is not None
    # The critics are asked at once: which of them got the scripted disagreement is up to the threads.
    assert sorted(v.verdict for v in result.critics.verdicts) == ["agrees", "agrees", "disagrees"]
    assert not result.critics.flagged  # 2 of 3 = 67% >= 66%
    disagreeing = [e for e in _critic_events(events) if "disagrees" in e.message]
    assert len(disagreeing) == 1 and "schedule: asked 'every night at 2'" in disagreeing[0].message
    assert not any(e.agent == "reflector" for e in events)


def test_a_flagged_draft_goes_back_to_the_planner_once(scripted, catalog, context, critics_run) -> None:  # noqa: F811
    planner = scripted({**spec_answer(), "schedule": "0 3 * * *"}, spec_answer())
    critic = scripted(WRONG_SCHEDULE, WRONG_SCHEDULE, AGREE, AGREE, AGREE, AGREE)
    events: list[Event] = []

    result = critics_run(catalog, context, planner, critic, events)

    assert result.ok, result.reason
    critic_round = [e for e in events if e.agent == "reflector" and "critic round" in e.message]
    assert len(critic_round) == 1
    # The planner's second request carried the critics' mismatch as a finding to fix.
    assert "critic.mismatch" in planner.prompt_text(1) and "every night at 2" in planner.prompt_text(1)
    assert result.spec is not None and result.spec.schedule == "0 2 * * *"  # the revision
    assert result.critics is not None and not result.critics.flagged  # the revision's vote
    summaries = [e.message for e in _critic_events(events) if "critics agree" in e.message]
    assert summaries[0].startswith("1 of 3 critics agree (33%): FLAGGED")
    assert summaries[1] == "3 of 3 critics agree (100%)"


def test_critics_that_disagree_flag_the_draft_but_do_not_block_it(
    scripted,
    catalog,  # noqa: F811
    context,  # noqa: F811
    critics_run,
) -> None:
    planner = scripted(spec_answer(), spec_answer())
    critic = scripted(*[WRONG_SCHEDULE] * 3)  # the revision is the same draft: the same verdicts, cached
    events: list[Event] = []

    result = critics_run(catalog, context, planner, critic, events)

    assert result.ok and result.source is not None  # flagged, not blocked
    assert result.critics is not None and result.critics.flagged and result.critics.agreement == 0
    assert [str(m) for m in result.critics.mismatches] == [
        "schedule: asked 'every night at 2', the draft has '0 3 * * *'"
    ]
    assert len([e for e in events if "critic round" in e.message]) == 1  # one more round, not a loop


def test_critics_that_time_out_give_no_verdict_and_flag_the_draft(
    scripted,
    catalog,  # noqa: F811
    context,  # noqa: F811
    critics_run,
) -> None:
    def hangs(messages: Any, info: Any) -> Any:
        raise ModelAPIError("function:scripted", "Request timed out.")

    planner, critic = scripted(spec_answer()), scripted(hangs, hangs, hangs)
    events: list[Event] = []

    result = critics_run(catalog, context, planner, critic, events)

    assert result.ok and result.critics is not None
    assert [v.verdict for v in result.critics.verdicts] == ["failed"] * 3
    assert result.critics.flagged  # a check that did not happen never passes a draft
    assert all(
        "timed out" in (v.error or "") or "not asked" in (v.error or "") for v in result.critics.verdicts
    )
    assert not any("critic round" in e.message for e in events)  # no mismatches to send back
    assert {u.agent: u.failed_requests for u in result.usage}["critic"] == len(critic.requests)


def test_a_critic_that_hangs_is_no_answer_and_the_vote_does_not_wait(
    scripted,
    catalog,  # noqa: F811
    context,  # noqa: F811
    critics_run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIRFLOW__AI_ETL__CRITIC_TIMEOUT_SECONDS", "0.5")
    released = threading.Event()

    def hangs(messages: Any, info: Any) -> Any:
        released.wait(30)  # far beyond the critic's time-out; released when the test ends
        return AGREE

    planner, critic = scripted(spec_answer()), scripted(AGREE, hangs, AGREE)
    events: list[Event] = []
    started = time.monotonic()
    try:
        result = critics_run(catalog, context, planner, critic, events)
    finally:
        released.set()

    assert time.monotonic() - started < 10  # two critics and the time-out, not the hang
    assert result.ok and result.critics is not None
    verdicts = sorted((v.verdict, v.error) for v in result.critics.verdicts)
    assert verdicts == [("agrees", None), ("agrees", None), ("failed", "timeout after 0.5 s")]
    assert not result.critics.flagged  # 2 of 3 agree
    no_answer = [e.message for e in _critic_events(events) if "no answer" in e.message]
    assert len(no_answer) == 1 and no_answer[0].endswith("no answer (timeout after 0.5 s)")


def test_a_critic_answer_must_be_consistent() -> None:
    with pytest.raises(ValueError, match="list at least one concrete mismatch"):
        CriticAnswer.model_validate({"matches": False, "mismatches": []})
    with pytest.raises(ValueError, match="matches is true but mismatches are listed"):
        CriticAnswer.model_validate({"matches": True, "mismatches": WRONG_SCHEDULE["mismatches"]})
