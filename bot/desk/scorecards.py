"""How each authority answers, per period (cases raised in it, by the organization's local days): cases
raised, median days to a first response, share resolved, share confirmed fixed by the workers, cases
overdue (past the deadline unresolved, or reopened by the worker). An authority with fewer than
MIN_CASES cases in the period shows no figures ("too few cases to compare"), so a body with two reports
never tops or bottoms a ranking."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

from sqlalchemy import select

from bot.desk.filters import MAX_DAY, MIN_DAY, FilterError, check_range, start_of_day
from bot.line.answers import dates
from bot.models import Authority, Escalation, utcnow

MIN_CASES = 10
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclass(frozen=True)
class Scorecard:
    authority_id: int
    name: str
    cases: int
    shown: bool  # False: fewer than MIN_CASES, no figures
    median_days_to_response: float | None = None
    responded: int | None = None
    resolved_share: float | None = None
    confirmed_share: float | None = None
    overdue: int | None = None

    def as_dict(self) -> dict:
        out = {"authority_id": self.authority_id, "name": self.name, "cases": self.cases, "shown": self.shown}
        if self.shown:
            out.update(median_days_to_response=self.median_days_to_response, responded=self.responded,
                       resolved_share=self.resolved_share, confirmed_share=self.confirmed_share, overdue=self.overdue)
        else:
            out["reason"] = "too few cases to compare"
        return out


def period(services, org: str, date_from: date | None = None, date_to: date | None = None) -> tuple[date, date]:
    """The period asked for, by default the last 90 local days."""
    today = dates.local_day(utcnow(), dates.org_zone(services.catalog, org))
    date_to = date_to or today
    return date_from or date_to - timedelta(days=89), date_to


def parse_period(args) -> tuple[date | None, date | None]:
    """`from` and `to` (local days, inclusive) from query or form arguments; FilterError when unusable."""
    found = []
    for name in ("from", "to"):
        raw = args.get(name) or ""
        if not raw:
            found.append(None)
            continue
        try:  # only YYYY-MM-DD (fromisoformat alone would take "20260331" too)
            if not _DAY.match(raw):
                raise ValueError(raw)
            day = date.fromisoformat(raw)
        except ValueError:
            raise FilterError(f"{name} must be a date like 2026-03-31, not “{raw[:20]}”") from None
        if not MIN_DAY <= day <= MAX_DAY:
            raise FilterError(f"{name} must be between {MIN_DAY} and {MAX_DAY}")
        found.append(day)
    check_range(*found)
    return found[0], found[1]


def scorecards(services, org: str, date_from: date | None = None, date_to: date | None = None,
               authority_id: int | None = None) -> list[Scorecard]:
    """Every authority of the organization (those with figures first, most cases first)."""
    date_from, date_to = period(services, org, date_from, date_to)
    tz = dates.org_zone(services.catalog, org)
    now = utcnow()
    query = select(Authority).where(Authority.organization == org)
    if authority_id is not None:
        query = query.where(Authority.id == authority_id)
    with services.db() as session:
        bodies = list(session.scalars(query))
        rows = session.execute(select(Escalation).where(
            Escalation.organization == org, Escalation.raised_at >= start_of_day(date_from, tz),
            Escalation.raised_at < start_of_day(date_to + timedelta(days=1), tz))).scalars().all()
    per = {a.id: [] for a in bodies}
    for e in rows:
        if e.authority_id in per:
            per[e.authority_id].append(e)
    cards = [_card(a, per[a.id], now) for a in bodies]
    return sorted(cards, key=lambda c: (not c.shown, -c.cases, c.name.lower()))


def _card(authority: Authority, cases: list[Escalation], now) -> Scorecard:
    n = len(cases)
    if n < MIN_CASES:
        return Scorecard(authority.id, authority.name, n, False)
    waits = [(e.first_response_at - e.raised_at).total_seconds() / 86400 for e in cases if e.first_response_at]
    resolved = sum(1 for e in cases if e.resolved_at is not None and e.state != "reopened")
    confirmed = sum(1 for e in cases if e.followup_answer == "yes")
    overdue = sum(1 for e in cases if e.overdue or e.reopened or (e.state == "open" and e.due_at <= now))
    return Scorecard(authority.id, authority.name, n, True, round(median(waits), 1) if waits else None, len(waits),
                     round(resolved / n, 3), round(confirmed / n, 3), overdue)
