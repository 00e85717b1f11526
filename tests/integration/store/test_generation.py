"""From what a system-DAG run publishes (its XComs) to the store: events as they come, the draft
once at the end, a clear reason when the run ends without one; and the params a run is given."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_ai_etl.agents.events import AgentUsage, Event, GenerationResult
from airflow_ai_etl.spec import parse_spec
from airflow_ai_etl.store import Store
from airflow_ai_etl.store.generation import RunOutput, published_result, record_run, run_params
from airflow_ai_etl.store.models import RequestRow

pytestmark = pytest.mark.integration

SPEC = {
    "dag_id": "orders_copy",
    "start_date": "2026-01-01",
    "schedule": "@daily",
    "steps": [{"id": "copy", "kind": "sql", "conn_id": "warehouse", "sql": "INSERT INTO t SELECT 1"}],
}
ER = {"tables": [{"name": "t", "conn_id": "warehouse", "columns": []}], "relations": []}


def _event(message: str, level: str = "info") -> dict[str, Any]:
    return Event(agent="planner", message=message, level=level).model_dump(mode="json")  # type: ignore[arg-type]


def _result(ok: bool = True, spec: dict[str, Any] | None = SPEC) -> dict[str, Any]:
    result = GenerationResult(
        ok=ok,
        spec=parse_spec(spec) if spec else None,
        source="# airflow-ai-etl: generated DAG file\n" if ok else None,
        usage=[AgentUsage(agent="planner", requests=1, input_tokens=7, output_tokens=3)],
        reason=None if ok else "the spec does not validate (sql.unknown_table)",
    )
    return {**published_result(result, []), "er": ER}


@pytest.fixture
def store(store_url: str) -> Store:
    return Store.from_url(store_url)


def _request(store: Store, **fields: Any) -> RequestRow:
    row = store.create_request(request="copy orders", conn_ids=["shop"], created_by="op1", **fields)
    store.update_request(row.id, dag_run_id="manual__1")
    stored = store.get_request(row.id)
    assert stored is not None
    return stored


def _state(store: Store, row: RequestRow) -> tuple[str, str | None]:
    now = store.get_request(row.id)
    assert now is not None
    return now.state, now.error


@pytest.fixture
def lifecycle(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str | None, dict[str, Any]]]:
    """The lifecycle events record_run emits (publishing itself is tested on a broker)."""
    emitted: list[tuple[str, str | None, dict[str, Any]]] = []
    monkeypatch.setattr(
        "airflow_ai_etl.store.generation.emit",
        lambda event_type, dag_id, **details: emitted.append((event_type, dag_id, details)),
    )
    return emitted


def test_events_arrive_as_the_run_publishes_them_then_the_draft_once(
    store: Store, lifecycle: list[tuple[str, str | None, dict[str, Any]]]
) -> None:
    row = _request(store)
    record_run(store, row, RunOutput())
    assert _state(store, row) == ("queued", None)
    record_run(store, row, RunOutput(events=[_event("one")]))
    assert _state(store, row) == ("running", None)
    finished = RunOutput(events=[_event("one"), _event("two")], result=_result(), ended="task success")
    record_run(store, row, finished)
    record_run(store, row, finished)  # a second poller, or the next poll: nothing twice

    assert [(e.seq, e.message) for e in store.events(row.id)] == [(1, "one"), (2, "two")]
    request = store.get_request(row.id)
    assert request is not None and request.state == "ready" and request.draft_id is not None
    draft = store.get_draft(request.draft_id)
    assert draft is not None
    assert (draft.dag_id, draft.version, draft.state, draft.created_by) == ("orders_copy", 1, "ready", "op1")
    assert "dag_id: orders_copy" in draft.spec_yaml and draft.source.startswith("# airflow-ai-etl")
    assert draft.er == ER
    assert [(u.agent, u.input_tokens) for u in store.usage(row.id)] == [("planner", 7)]
    assert lifecycle == [
        ("pipeline.generated", "orders_copy", {"request_id": row.id, "state": "ready", "user": "op1"})
    ]


def test_a_failed_generation_keeps_its_draft_for_review(store: Store) -> None:
    row = _request(store)
    record_run(store, row, RunOutput(result=_result(ok=False), ended="task success"))
    request = store.get_request(row.id)
    assert request is not None and request.state == "failed"
    assert request.error == "the spec does not validate (sql.unknown_table)"
    draft = store.get_draft(request.draft_id or 0)
    assert draft is not None and draft.state == "failed" and draft.reason == request.error


def test_who_planned_and_failed_model_requests_are_stored_in_columns_and_served(store: Store) -> None:
    """A fallback is a field of the request, its draft and the API's answers, not words in an event;
    the clauses a plan left out reach the draft's report."""
    from airflow_ai_etl.agents.coverage import Clause
    from airflow_ai_etl.plugins.views import draft_out, request_out
    from airflow_ai_etl.validation.report import Report

    fallback = GenerationResult(
        ok=True,
        spec=parse_spec(SPEC),
        source="# airflow-ai-etl: generated DAG file\n",
        usage=[AgentUsage(agent="planner", requests=0, failed_requests=3)],
        planned_by="offline (model unavailable: HTTP 503)",
        fallback="HTTP 503",
        report=Report(findings=[Clause("paid only", "phrase").finding()]),
        not_understood=["paid only"],
    )
    row = _request(store)
    record_run(store, row, RunOutput(result=published_result(fallback, []), ended="task success"))
    request = store.get_request(row.id)
    assert request is not None and request.draft_id is not None
    draft = store.get_draft(request.draft_id)
    assert draft is not None
    served_request, served_draft = request_out(request), draft_out(store, draft, None)
    for served in (request, draft, served_request, served_draft):
        assert (served.planned_by, served.fallback) == ("offline (model unavailable: HTTP 503)", "HTTP 503")
    assert [(u.agent, u.failed_requests) for u in store.usage(row.id)] == [("planner", 3)]
    assert served_draft.usage.by_agent["planner"].failed_requests == 3
    [listed] = served_draft.report.findings  # what the page's Validation tab and the API show
    assert listed.code == "request.not_planned" and "'paid only'" in listed.message

    by_model = _request(store)
    record_run(store, by_model, RunOutput(result=_result(), ended="task success"))
    request = store.get_request(by_model.id)
    assert request is not None and (request.planned_by, request.fallback) == ("model", None)


def test_the_critics_vote_is_stored_on_the_draft_and_served(store: Store) -> None:
    """A flagged draft is a column and the vote (each critic's verdict and mismatches) data the API
    serves, not words in an event; a draft no critic judged is not flagged."""
    from airflow_ai_etl.agents.verdicts import CriticVerdict, CriticVote, Mismatch
    from airflow_ai_etl.plugins.views import draft_out

    wrong = Mismatch(aspect="schedule", asked="every night at 2", draft="0 3 * * *")
    vote = CriticVote(
        verdicts=[
            CriticVerdict(critic="critic 1 (m)", verdict="agrees"),
            CriticVerdict(critic="critic 2 (m)", verdict="disagrees", mismatches=[wrong]),
            CriticVerdict(critic="critic 3 (m)", verdict="failed", error="timeout after 60 s"),
        ]
    )
    flagged = GenerationResult(
        ok=True, spec=parse_spec(SPEC), source="# airflow-ai-etl: generated DAG file\n", critics=vote
    )
    row = _request(store)
    record_run(store, row, RunOutput(result=published_result(flagged, []), ended="task success"))
    request = store.get_request(row.id)
    assert request is not None and request.draft_id is not None
    draft = store.get_draft(request.draft_id)
    assert draft is not None and draft.flagged
    served = draft_out(store, draft, None)
    assert served.flagged and served.critics is not None
    assert (served.critics.agreeing, round(served.critics.agreement, 2), served.critics.threshold) == (
        1,
        0.33,
        0.66,
    )
    assert [(v.verdict, v.error) for v in served.critics.verdicts] == [
        ("agrees", None),
        ("disagrees", None),
        ("failed", "timeout after 60 s"),
    ]
    assert served.critics.verdicts[1].mismatches == [wrong]

    unjudged = _request(store)
    record_run(store, unjudged, RunOutput(result=_result(), ended="task success"))
    request = store.get_request(unjudged.id)
    draft = store.get_draft(request.draft_id or 0) if request else None
    assert draft is not None and not draft.flagged and draft_out(store, draft, None).critics is None


def test_a_generation_without_a_spec_fails_the_request_without_a_draft(store: Store) -> None:
    row = _request(store)
    record_run(store, row, RunOutput(result=_result(ok=False, spec=None), ended="task success"))
    request = store.get_request(row.id)
    assert request is not None and (request.state, request.draft_id) == ("failed", None)


def test_a_run_that_ends_without_a_result_fails_the_request_with_its_last_error(store: Store) -> None:
    row = _request(store)
    events = [_event("started"), _event("conn_ids: cannot read the schema of 'shop': gone", "error")]
    record_run(store, row, RunOutput(events=events, ended="task failed"))
    assert _state(store, row) == ("failed", "conn_ids: cannot read the schema of 'shop': gone")

    silent = _request(store)
    record_run(store, silent, RunOutput(ended="run failed"))
    state, error = _state(store, silent)
    assert state == "failed" and "'manual__1' of 'ai_etl_generate' ended (run failed)" in (error or "")
    assert "task log" in (error or "")


@pytest.mark.parametrize(
    ("result", "says"),
    [
        ({"ok": "perhaps", "spec": 3}, "result could not be read"),
        (["not", "a", "result"], "returned list"),
    ],
)
def test_an_unreadable_result_fails_the_request_and_says_so(store: Store, result: Any, says: str) -> None:
    row = _request(store)
    record_run(store, row, RunOutput(events=[{"agent": 1}], result=result, ended="task success"))
    state, error = _state(store, row)
    assert state == "failed" and says in (error or "")
    [event] = store.events(row.id)
    assert event.level == "warning" and "could not be read" in event.message


def test_run_params_carry_the_feedback_and_the_revised_drafts_dag_id(store: Store) -> None:
    first = _request(store, schedule="0 3 * * *", offline=True)
    assert run_params(store, first) == {
        "request": "copy orders",
        "conn_ids": ["shop"],
        "dag_id": None,
        "schedule": "0 3 * * *",
        "offline": True,
        "request_id": first.id,
    }
    record_run(store, first, RunOutput(result=_result(), ended="task success"))
    draft_id = store.get_request(first.id).draft_id  # type: ignore[union-attr]
    again = store.create_request(
        request="copy orders", conn_ids=["shop", "shop"], created_by="op1", feedback=" only paid ones ",
        parent_draft_id=draft_id,
    )  # fmt: skip
    params = run_params(store, again)
    assert params["request"] == "copy orders\n\nFeedback on the previous draft: only paid ones"
    assert (params["dag_id"], params["conn_ids"]) == ("orders_copy", ["shop"])


def test_a_request_from_a_picture_keeps_its_image_and_its_run_carries_it(store: Store) -> None:
    """The worker cannot read the store: the ER diagram stored with the request travels in the
    run's params; listing requests never loads it."""
    import base64

    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    row = store.create_request(
        request="tables", conn_ids=["shop"], created_by="op1", image=("image/png", png)
    )
    assert store.request_image(row.id) == ("image/png", png)
    assert run_params(store, row)["image"] == {
        "media_type": "image/png",
        "base64": base64.b64encode(png).decode(),
    }
    assert [r.id for r in store.list_requests()] == [row.id]
    assert store.request_image(_request(store).id) is None


def test_catch_up_copies_only_runs_that_changed_among_500_open_requests(store: Store) -> None:
    from sqlalchemy import event

    from airflow_ai_etl.store.generation import catch_up
    from airflow_ai_etl.store.models import utcnow

    with store.session() as session, session.begin():
        session.add_all(
            RequestRow(
                request=f"copy {n}", conn_ids=["shop"], created_by="op1", state="running",
                dag_run_id=f"run_{n}", run_marker="seen", created_at=utcnow(), updated_at=utcnow(),
            )
            for n in range(500)
        )  # fmt: skip
    markers = {f"run_{n}": "seen" for n in range(500)}
    looked: list[list[str]] = []
    copied: list[str] = []

    def read_markers(run_ids: list[str]) -> dict[str, str]:
        looked.append(run_ids)
        return markers

    def read_output(run_id: str) -> RunOutput:
        copied.append(run_id)
        if run_id not in markers:
            return RunOutput(ended="deleted")
        return RunOutput(events=[_event("planning")], result=_result() if run_id == "run_7" else None)

    queries: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: queries.append(args[2]))

    rows = catch_up(store, store.list_requests(500), read_markers, read_output)
    assert len(rows) == 500 and len(looked) == 1 and len(looked[0]) == 500
    assert copied == [] and len(queries) == 1  # the list itself, nothing per request

    markers.update(run_3="published", run_7="finished")
    rows = catch_up(store, store.list_requests(500), read_markers, read_output)
    assert sorted(copied) == ["run_3", "run_7"]
    by_run = {row.dag_run_id: row for row in rows}
    assert by_run["run_7"].state == "ready" and by_run["run_7"].draft_id is not None
    assert by_run["run_3"].state == "running" and [e.message for e in store.events(by_run["run_3"].id)] == [
        "planning"
    ]

    copied.clear()
    del markers["run_9"]  # Airflow deleted the run
    queries.clear()
    rows = catch_up(store, store.list_requests(500), read_markers, read_output)
    assert copied == ["run_9"]
    assert next(r for r in rows if r.dag_run_id == "run_9").state == "failed"
    copied.clear()
    queries.clear()
    catch_up(store, store.list_requests(500), read_markers, read_output)
    assert copied == [] and len(queries) == 1  # ended requests are not looked at again
