"""The one date reader: dates as workers and organizers write them, in words ("jana", "kesho", "friday",
nlu/entities.py's DATE_WORDS) or numbers (25/11, 25/11/26, 2026-11-25), read against a given "today".

Two tenses, because the same word means different days: an incident happened (`past`: "monday" is the last
Monday, Hindi "kal" is yesterday, a date after today is no date, 25/12 in November is last year's), a plan
is to come (not past: "monday" is the next Monday, "kal" is tomorrow, 5/1 in December is next year's).
Used by the report form (bot/line/reports.py), the answers and organizer commands (bot/line/answers/dates.py)
and, for the words, the NLU (nlu/entities.py). Pure computation: no bot/, no I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from nlu.entities import extract_dates, fold

# day/month[/year], or year-month-day; no digit right before or after
NUMERIC = re.compile(r"(?<!\d)(\d{1,4})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?(?!\d)")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SOON = 30  # a plan's day/month up to this many days back is this year's (a late notice), else next year's


@dataclass(frozen=True)
class DateSpan:
    start: int
    end: int
    text: str
    value: str | None  # the canonical word ("tomorrow", "friday"); None for a date written in numbers
    day: date | None  # what it means in the tense read; None: not a date in that tense


def date_spans(text: str) -> list[tuple[int, int]]:
    """Where dates are written in `text` (words and numbers), whatever they mean."""
    return sorted([(s.start, s.end) for s in extract_dates(text)] + [m.span() for m in NUMERIC.finditer(text)])


def read_dates(text: str, today: date, *, past: bool) -> list[DateSpan]:
    """Every date written in `text`, in order, with the day it means in that tense."""
    found = [DateSpan(s.start, s.end, s.text, s.value, day_for(s.value, today, past=past, written=s.text))
             for s in extract_dates(text)]
    found += [DateSpan(m.start(), m.end(), m.group(0), None, _numeric(m, today, past)) for m in NUMERIC.finditer(text)]
    return sorted(found, key=lambda s: s.start)


def incident_day(typed: str, today: date | None = None) -> date | None:
    """The day an incident happened, from a worker's answer: a date in numbers first, else the first date
    word; None when nothing is understood or the date is in the future. `today`: the worker's (UTC's
    when not given)."""
    found = read_dates(typed, today or datetime.now(timezone.utc).date(), past=True)
    numbers = [s for s in found if s.value is None]
    first = (numbers or found or [None])[0]
    return first.day if first else None


def day_for(value: str | None, today: date, *, past: bool = False, written: str = "") -> date | None:
    """The day a date word's canonical value means. A plan's unknown or past word is today (never None)."""
    if past:
        if value == "tomorrow" and fold(written).strip() in ("kal", "कल"):
            value = "yesterday"  # Hindi "kal" is both; an incident is in the past
        if value in ("today", "this_week", "weekend", "holiday"):
            return today
        if value == "yesterday":
            return today - timedelta(days=1)
        if value in WEEKDAYS:
            return today - timedelta(days=(today.weekday() - WEEKDAYS.index(value)) % 7)
        return None  # tomorrow, day after tomorrow: not an incident date
    if value == "tomorrow":
        return today + timedelta(days=1)
    if value == "day_after_tomorrow":
        return today + timedelta(days=2)
    if value in WEEKDAYS:
        return today + timedelta(days=(WEEKDAYS.index(value) - today.weekday()) % 7)
    if value == "weekend":
        return today + timedelta(days=(5 - today.weekday()) % 7)
    return today


def _numeric(m: re.Match, today: date, past: bool) -> date | None:
    a, b, c = m.groups()
    try:
        if len(a) == 4:  # 2026-11-25
            return _in_tense(date(int(a), int(b), int(c or 0)), today, past)
        if len(a) == 3:
            return None
        year = int(c) if c else today.year
        year = year + 2000 if year < 100 else year
        found = date(year, int(b), int(a))
        if not c and past and found > today:
            found = found.replace(year=year - 1)
        elif not c and not past and found < today - timedelta(days=SOON):
            found = found.replace(year=year + 1)
    except ValueError:  # 31/02, and 29/02 moved to a year without one
        return None
    return _in_tense(found, today, past)


def _in_tense(day: date, today: date, past: bool) -> date | None:
    return None if past and day > today else day
