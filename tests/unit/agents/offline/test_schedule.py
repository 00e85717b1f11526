"""Schedule phrases -> cron, and the phrases the planner refuses rather than bend."""

from __future__ import annotations

import pytest
from croniter import croniter

from airflow_ai_etl.agents.offline import ScheduleError, parse_schedule, schedule_to_cron
from airflow_ai_etl.agents.offline.text import RequestText


@pytest.mark.parametrize(
    ("phrase", "cron"),
    [
        ("every night at 2", "0 2 * * *"),
        ("every day at 2am", "0 2 * * *"),
        ("every day at 2 a.m.", "0 2 * * *"),
        ("daily at 14:30", "30 14 * * *"),
        ("daily", "0 0 * * *"),
        ("nightly", "0 0 * * *"),
        ("at 2am", "0 2 * * *"),
        ("at midnight", "0 0 * * *"),
        ("every day at noon", "0 12 * * *"),
        ("every evening at 7", "0 19 * * *"),
        ("every night at 11", "0 23 * * *"),
        ("every morning at 7", "0 7 * * *"),
        ("hourly", "0 * * * *"),
        ("every hour", "0 * * * *"),
        ("hourly at :15", "15 * * * *"),
        ("every 2 hours", "0 */2 * * *"),
        ("every hour on weekdays", "0 * * * 1-5"),
        ("every 15 minutes", "*/15 * * * *"),
        ("every minute", "* * * * *"),
        ("weekdays at 6", "0 6 * * 1-5"),
        ("every weekday at 6:30 pm", "30 18 * * 1-5"),
        ("at 2 pm on weekends", "0 14 * * 0,6"),
        ("every monday at 7am", "0 7 * * 1"),
        ("every monday and thursday at 7", "0 7 * * 1,4"),
        ("on fridays", "0 0 * * 5"),
        ("weekly", "0 0 * * 0"),
        ("monthly", "0 0 1 * *"),
        ("on the first of the month", "0 0 1 * *"),
        ("on the 15th of each month at 3:30am", "30 3 15 * *"),
        ("every month on the 2nd", "0 0 2 * *"),
        ("yearly", "0 0 1 1 *"),
    ],
)
def test_phrase_to_cron(phrase: str, cron: str) -> None:
    assert schedule_to_cron(phrase) == cron
    assert croniter.is_valid(cron)


@pytest.mark.parametrize("text", ["", "copy orders to the warehouse", "at least 100 rows", "version 2.5"])
def test_no_schedule_phrase_gives_none(text: str) -> None:
    assert schedule_to_cron(text) is None


@pytest.mark.parametrize(
    ("phrase", "message"),
    [
        ("every 7 minutes", "divides 60"),
        ("every 5 hours", "divides 24"),
        ("on the 31st of the month", "day from 1 to 28"),
        ("daily at 25:00", "not a time of day"),
        ("at 13pm", "not a time of day"),
    ],
)
def test_unexpressible_schedule_is_an_error(phrase: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        schedule_to_cron(phrase)


def test_schedule_claims_only_its_own_words() -> None:
    req = RequestText("copy orders to the warehouse every day at 2am please")
    match = parse_schedule(req)
    assert match is not None
    assert match.cron == "0 2 * * *"
    assert match.description == "every day at 02:00"
    assert req.leftover_phrases() == ["orders", "warehouse"]
