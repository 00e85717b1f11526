"""Schedule phrases -> 5-field cron ("every day at 2am" -> "0 2 * * *").

A schedule is read as three independent parts, each optional: how often (every 15 minutes, hourly,
daily, weekly, monthly, yearly), on which days (weekdays, weekends, named days, a day of the month)
and at what time (2am, 14:30, midnight). Times are wall-clock times in the DAG's timezone (Airflow's
default timezone, UTC unless configured). A daily-type schedule without a time runs at midnight,
like Airflow's @daily.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from airflow_ai_etl.agents.offline.text import RequestText

_I = re.IGNORECASE

_DAY_NAMES = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_DAY = r"(?:sun|mon|tues|wednes|thurs|fri|satur)days?"
_ORDINALS = {"first": 1, "second": 2, "third": 3}

_EVERY_N_MINUTES = re.compile(r"\bevery\s+(?P<n>\d{1,2})\s*(?:minutes?|mins?)\b", _I)
_EVERY_MINUTE = re.compile(r"\b(?:every|each)\s+minute\b", _I)
_EVERY_N_HOURS = re.compile(r"\bevery\s+(?P<n>\d{1,2})\s*(?:hours?|hrs?)\b", _I)
_HOURLY = re.compile(r"\b(?:hourly|(?:every|each|once\s+an?)\s+hour)\b", _I)
_PAST_THE_HOUR = re.compile(
    r"\bat\s+(?::(?P<colon>\d{2})|(?P<n>\d{1,2})\s+(?:minutes\s+)?past(?:\s+the\s+hour)?)(?!\w)", _I
)
_WEEKDAYS = re.compile(
    r"\b(?:on\s+)?(?:every\s+|each\s+)?(?:weekdays?|work\s*days?|business\s+days?|monday\s+to\s+friday)\b", _I
)
_WEEKENDS = re.compile(r"\b(?:on\s+)?(?:every\s+|each\s+)?weekends?\b", _I)
_NAMED_DAYS = re.compile(
    rf"\b(?:on\s+)?(?:every\s+|each\s+)?(?P<days>{_DAY}(?:\s*(?:,|and|&)\s*{_DAY})*)\b", _I
)
_NTH = r"(?:(?P<n>\d{1,2})(?:st|nd|rd|th)?|(?P<word>first|second|third))"
_DAY_OF_MONTH = (
    re.compile(rf"\b(?:every|each)\s+month\s+on\s+the\s+{_NTH}(?:\s+day)?\b", _I),
    re.compile(rf"\b(?:on\s+)?the\s+{_NTH}(?:\s+day)?\s+of\s+(?:the|each|every)\s+month\b", _I),
)
_DAILY = re.compile(
    r"\b(?:daily|nightly|(?:every|each|once\s+a)\s+(?P<part>day|night|evening|morning))\b", _I
)
_WEEKLY = re.compile(r"\b(?:weekly|(?:every|each|once\s+a)\s+week)\b", _I)
_MONTHLY = re.compile(r"\b(?:monthly|(?:every|each|once\s+a)\s+month)\b", _I)
_YEARLY = re.compile(r"\b(?:yearly|annually|(?:every|each|once\s+a)\s+year)\b", _I)
_TIME = re.compile(
    r"\b(?:at\s+)?(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>[ap])\.?m\b\.?"
    r"|\bat\s+(?P<h2>\d{1,2})(?::(?P<m2>\d{2}))?(?:\s*o'?clock)?(?![\w:%]|\.\d)"
    r"|\b(?P<h3>\d{1,2}):(?P<m3>\d{2})\b"
    r"|\b(?:at\s+)?(?P<word>midnight|noon|midday)\b",
    _I,
)


class ScheduleError(ValueError):
    """A schedule phrase that was recognised but cannot be written as a cron expression."""


@dataclass(frozen=True)
class ScheduleMatch:
    cron: str
    description: str


@dataclass(frozen=True)
class _Time:
    hour: int
    minute: int
    explicit_half: bool  # am/pm, noon or midnight was said: no evening/night correction


def _read_time(match: re.Match[str]) -> _Time:
    if match.group("word"):
        return _Time(0 if match.group("word").lower() == "midnight" else 12, 0, True)
    if match.group("h"):
        hour, minute = int(match.group("h")), int(match.group("m") or 0)
        if not 1 <= hour <= 12 or minute > 59:
            raise ScheduleError(f"{match.group().strip()!r} is not a time of day")
        pm = match.group("ampm").lower() == "p"
        return _Time(hour % 12 + (12 if pm else 0), minute, True)
    hour, minute = (
        int(match.group("h2") or match.group("h3")),
        int(match.group("m2") or match.group("m3") or 0),
    )
    if hour > 23 or minute > 59:
        raise ScheduleError(f"{match.group().strip()!r} is not a time of day")
    return _Time(hour, minute, False)


def _first(req: RequestText, *patterns: re.Pattern[str]) -> re.Match[str] | None:
    """Claim and return the first unclaimed match of the first pattern that matches."""
    for pattern in patterns:
        match = next(req.finditer(pattern), None)
        if match is not None:
            req.claim(*match.span())
            return match
    return None


def _days_of_week(req: RequestText) -> tuple[str, str] | None:
    """(cron day-of-week field, words) from weekdays / weekends / named days."""
    if _first(req, _WEEKDAYS):
        return "1-5", "on weekdays"
    if _first(req, _WEEKENDS):
        return "0,6", "on weekends"
    match = _first(req, _NAMED_DAYS)
    if match is None:
        return None
    found = re.findall(_DAY, match.group("days"), _I)
    numbers = sorted({_DAY_NAMES.index(d.lower().removesuffix("s")) for d in found})
    names = ", ".join(_DAY_NAMES[n].capitalize() for n in numbers)
    return ",".join(str(n) for n in numbers), f"every {names}"


def _with_days(cron_head: str, words: str, dow: tuple[str, str] | None) -> ScheduleMatch:
    return ScheduleMatch(f"{cron_head} * * {dow[0] if dow else '*'}", f"{words} {dow[1]}" if dow else words)


def _interval(n: int, unit: str, limit: int) -> str:
    """The cron field for "every n <unit>s"; only steps that divide the cycle evenly are regular."""
    if not 1 <= n < limit or limit % n:
        raise ScheduleError(
            f"'every {n} {unit}s' cannot be written as a regular cron schedule; "
            f"use a number of {unit}s that divides {limit} (e.g. every 15 {unit}s)"
        )
    return "*" if n == 1 else f"*/{n}"


def parse_schedule(req: RequestText) -> ScheduleMatch | None:
    """Claim the schedule phrases in the request and return their cron; None if there are none.

    Raises ScheduleError for a schedule it recognised but cannot express (e.g. "every 7 minutes").
    """
    minutes = _first(req, _EVERY_N_MINUTES, _EVERY_MINUTE)
    if minutes is not None:
        n = int(minutes.group("n")) if "n" in minutes.re.groupindex else 1
        field = _interval(n, "minute", 60)
        return _with_days(
            f"{field} *", "every minute" if n == 1 else f"every {n} minutes", _days_of_week(req)
        )

    hours = _first(req, _EVERY_N_HOURS, _HOURLY)
    if hours is not None:
        n = int(hours.group("n")) if "n" in hours.re.groupindex else 1
        field = _interval(n, "hour", 24)
        past = _first(req, _PAST_THE_HOUR)
        minute = int(past.group("colon") or past.group("n")) if past else 0
        if minute > 59:
            raise ScheduleError(f"{past.group() if past else minute!r} is not a minute of the hour")
        words = ("every hour" if n == 1 else f"every {n} hours") + (f" at {minute} past" if minute else "")
        return _with_days(f"{minute} {field}", words, _days_of_week(req))

    yearly = _first(req, _YEARLY)
    day_of_month = _first(req, *_DAY_OF_MONTH)
    monthly = _first(req, _MONTHLY)
    weekly = _first(req, _WEEKLY)
    daily = _first(req, _DAILY)
    dow = _days_of_week(req)
    time_match = _first(req, _TIME)
    time = _read_time(time_match) if time_match else None
    if not any((yearly, monthly, day_of_month, weekly, daily, dow, time)):
        return None

    if time and daily and not time.explicit_half:
        part = (daily.group("part") or daily.group()).lower()
        if part in ("night", "evening", "nightly") and 6 <= time.hour <= 11:
            time = _Time(time.hour + 12, time.minute, True)
        elif part == "night" and time.hour == 12:
            time = _Time(0, time.minute, True)
    minute, hour = (time.minute, time.hour) if time else (0, 0)
    at = f"{hour:02d}:{minute:02d}"

    if yearly:
        return ScheduleMatch(f"{minute} {hour} 1 1 *", f"every year on 1 January at {at}")
    if day_of_month or monthly:
        day = 1
        if day_of_month:
            day = int(day_of_month.group("n") or _ORDINALS[day_of_month.group("word").lower()])
        if not 1 <= day <= 28:
            raise ScheduleError(
                f"day {day} of the month does not exist in every month; cron would skip those months "
                "(use a day from 1 to 28)"
            )
        return ScheduleMatch(f"{minute} {hour} {day} * *", f"every month on day {day} at {at}")
    if weekly and not dow:
        return ScheduleMatch(f"{minute} {hour} * * 0", f"every week on Sunday at {at}")
    if dow:
        return _with_days(f"{minute} {hour}", f"at {at}", dow)
    return ScheduleMatch(f"{minute} {hour} * * *", f"every day at {at}")


def schedule_to_cron(phrase: str) -> str | None:
    """The cron of a schedule phrase on its own (None if it names no schedule)."""
    match = parse_schedule(RequestText(phrase))
    return match.cron if match else None
