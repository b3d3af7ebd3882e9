"""Dates in the organization's own time zone: what "today", "tomorrow" or "friday" mean for a
worker, the dates and times an organizer writes in a command, and how an end time is shown. Dates in
words and numbers are read by the one date reader, nlu/dates.py; the clock times of commands here."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Date, cast, func

from nlu.dates import date_spans, day_for, read_dates
from nlu.entities import extract_dates


def zone(org) -> ZoneInfo:
    """The organization's zone, from `timezone:` in its content/orgs/<slug>/org.yaml (checked at load)."""
    return ZoneInfo(getattr(org, "timezone", None) or "UTC")


def org_zone(catalog, slug: str) -> ZoneInfo:
    return zone(catalog.organizations.get(slug))


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    """The local day of a stored moment; a naive one (SQLite gives those back) is UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(tz).date()


def day_sql(column, tz: ZoneInfo, dialect: str):
    """The local day of a timestamp column, in SQL. PostgreSQL converts with its own zone database;
    SQLite (make run) calls local_date(), which bot/db.py registers on every connection."""
    if dialect == "postgresql":
        return cast(func.timezone(tz.key, column), Date)
    return func.local_date(column, tz.key, type_=Date)


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def local_today(org, now: datetime | None = None) -> date:
    return (now or now_utc()).astimezone(zone(org)).date()


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a local day, in UTC."""
    start = datetime.combine(day, time(0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


# --- dates and times written in organizer commands

_CLOCK = re.compile(r"(?<![\d/])(\d{1,2})(?:[:h](\d{2}))?\s*(am|pm|baje|बजे)?(?![\d/])", re.I)


@dataclass(frozen=True)
class When:
    day: date
    at: time | None  # None: the whole day
    start: int  # offset in the text, to keep them in order

    def starts(self, tz: ZoneInfo) -> datetime:
        return datetime.combine(self.day, self.at or time(0), tz)

    def ends(self, tz: ZoneInfo) -> datetime:
        """An end written as a day means the end of that day."""
        if self.at is None:
            return datetime.combine(self.day + timedelta(days=1), time(0), tz)
        return datetime.combine(self.day, self.at, tz)


def find_whens(text: str, today: date) -> list[When]:
    """Dates ("tomorrow", "friday", "30/11") in order, each with the clock time written right
    after it ("tomorrow 10:00", "kal 10 baje") when there is one."""
    days = [(s.start, s.end, s.day) for s in read_dates(text, today, past=False)
            if s.day is not None and s.value not in ("yesterday", "holiday", "this_week")]
    out: list[When] = []
    for i, (start, end, day) in enumerate(days):
        limit = days[i + 1][0] if i + 1 < len(days) else len(text)
        at = _clock(text[end:limit])
        out.append(When(day, at, start))
    return out


def _clock(text: str) -> time | None:
    for m in _CLOCK.finditer(text):
        hour, minute, suffix = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").lower()
        if not m.group(2) and not suffix:
            continue  # a bare number is not a time
        if suffix == "pm" and hour < 12:
            hour += 12
        if suffix == "am" and hour == 12:
            hour = 0
        if hour < 24 and minute < 60:
            return time(hour, minute)
    return None


def span_of_dates(text: str) -> list[tuple[int, int]]:
    """Character spans of the dates and times in text (to cut them out of a place name)."""
    spans = date_spans(text)
    spans += [(m.start(), m.end()) for m in _CLOCK.finditer(text) if m.group(2) or m.group(3)]
    return spans


# --- showing dates in the worker's language (the words are content keys)


def show_day(catalog, org_slug: str, lang: str, channel: str, day: date) -> str:
    weekday = catalog.text(org_slug, f"weekday.{day.isoweekday()}", lang, channel)
    return catalog.text(org_slug, "date.short", lang, channel, weekday=weekday, date=f"{day.day}/{day.month}")


def show_until(catalog, org_slug: str, lang: str, channel: str, ends_at: datetime, tz: ZoneInfo) -> str:
    """An end at local midnight shows as the last day it covers ("until Fri 29/11")."""
    local = ends_at.astimezone(tz)
    if local.time() == time(0):
        return show_day(catalog, org_slug, lang, channel, local.date() - timedelta(days=1))
    weekday = catalog.text(org_slug, f"weekday.{local.isoweekday()}", lang, channel)
    return catalog.text(org_slug, "datetime.short", lang, channel, weekday=weekday,
                        date=f"{local.day}/{local.month}", time=f"{local.hour:02d}:{local.minute:02d}")


def show_start(catalog, org_slug: str, lang: str, channel: str, starts_at: datetime, tz: ZoneInfo) -> str:
    local = starts_at.astimezone(tz)
    if local.time() == time(0):
        return show_day(catalog, org_slug, lang, channel, local.date())
    weekday = catalog.text(org_slug, f"weekday.{local.isoweekday()}", lang, channel)
    return catalog.text(org_slug, "datetime.short", lang, channel, weekday=weekday,
                        date=f"{local.day}/{local.month}", time=f"{local.hour:02d}:{local.minute:02d}")


__all__ = ["zone", "org_zone", "local_day", "day_sql", "local_today", "day_for", "day_bounds", "find_whens", "When", "show_day", "show_until",
           "show_start", "span_of_dates", "now_utc", "extract_dates"]
