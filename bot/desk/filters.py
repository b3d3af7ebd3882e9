"""Which reports: the one filter of the reports inbox, its map, the charts and the exports (and the status
and category rules of the reports API). Parsed from query or form arguments with messages an organizer
understands, turned into SQL conditions on Report. Views only turn FilterError into a 400.

An authority filter keeps the reports raised with that authority (bot/desk/escalations.py).

Dates are the organization's local days (`timezone:` in its org.yaml). The inbox and its map date a report
by the day the worker said it happened, else the day it arrived (`by_occurrence`); the charts and exports
by the day it arrived, so a chart and the export made beside it count the same reports.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from bot.line import reports
from bot.line.answers import dates
from bot.models import Escalation, Report

SEARCH_MAX = 100
PAGE_MAX = 100_000
NO_PLACE = "none"  # market filter value: reports whose place the gazetteer did not recognise
# Dates outside these years are typing mistakes (and year 9999 would overflow "the day after").
MIN_DAY, MAX_DAY = date(2000, 1, 1), date(2099, 12, 31)
UTC = ZoneInfo("UTC")


class FilterError(ValueError):
    """A filter value that cannot be used; the message (lower case, no full stop: views put it in a
    sentence) says what would work."""


@dataclass(frozen=True)
class ReportFilters:
    """Every field optional; `date_from`/`date_to` are inclusive local days; `page` is the inbox's."""

    status: str | None = None
    category: str | None = None
    market: str | None = None  # a gazetteer place id of the organization, or NO_PLACE
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None
    cluster: int | None = None
    authority: int | None = None  # reports raised with this authority (an id of the Authorities page)
    page: int = 1

    @classmethod
    def parse(cls, args: Mapping, catalog, org: str) -> ReportFilters:
        """From query or form arguments: status, category, market, from, to, q, cluster, authority, page.
        Whether the authority is the organization's is checked with the database (`check_authority`)."""
        market = _text(args, "market")
        if market is not None and market != NO_PLACE and market not in {p.id for p in catalog.places(org)}:
            # Another organization's place answers like an unknown one.
            raise FilterError(f"“{market[:40]}” is not a market or area of your organization; market must be "
                              "one of your organization's markets or areas")
        date_from, date_to = _day(args, "from"), _day(args, "to")
        check_range(date_from, date_to)
        q = " ".join((args.get("q") or "").split()) or None
        if q and len(q) > SEARCH_MAX:
            raise FilterError(f"search for at most {SEARCH_MAX} characters")
        cluster = _number(args, "cluster", "cluster must be a cluster number from the reports page", 999_999_999)
        authority = authority_of(args)
        page = _number(args, "page", "page must be a whole number from 1", PAGE_MAX) or 1
        return cls(status_of(args), category_of(args, catalog), market, date_from, date_to, q, cluster, authority,
                   page)

    def with_range(self, date_from: date | None, date_to: date | None) -> ReportFilters:
        return replace(self, date_from=date_from, date_to=date_to)

    def args(self, **override) -> dict:
        """As URL query arguments (empty ones left out), e.g. for url_for and pager links."""
        values = replace(self, **override) if override else self
        out = {"status": values.status, "category": values.category, "market": values.market,
               "from": values.date_from.isoformat() if values.date_from else None,
               "to": values.date_to.isoformat() if values.date_to else None,
               "q": values.q, "cluster": values.cluster, "authority": values.authority,
               "page": values.page if values.page != 1 else None}
        return {k: v for k, v in out.items() if v not in (None, "")}

    def as_dict(self) -> dict:
        """The filters that are set, as strings, without the page (audit log, file notes, figures, URLs)."""
        return {k: str(v) for k, v in self.args(page=1).items()}

    @property
    def active(self) -> bool:
        return bool(self.as_dict())

    def clauses(self, org: str, tz: ZoneInfo = UTC, *, by_occurrence: bool = False,
                dialect: str = "postgresql") -> list:
        """SQL conditions on Report, the organization first; days are days in `tz`, a report's day the day
        it arrived (or, `by_occurrence`, the day the worker gave, else the day it arrived)."""
        where = [Report.organization == org]
        if self.status:
            where.append(Report.status == self.status)
        if self.category:
            where.append(Report.category == self.category)
        if self.market == NO_PLACE:
            where.append(Report.place_id.is_(None))
        elif self.market:
            where.append(Report.place_id == self.market)
        if by_occurrence and (self.date_from or self.date_to):
            day = func.coalesce(Report.occurred_on, dates.day_sql(Report.created_at, tz, dialect))
            if self.date_from:
                where.append(day >= self.date_from)
            if self.date_to:
                where.append(day <= self.date_to)
        else:  # moments, so an index on created_at serves
            if self.date_from:
                where.append(Report.created_at >= start_of_day(self.date_from, tz))
            if self.date_to:
                where.append(Report.created_at < start_of_day(self.date_to + timedelta(days=1), tz))
        if self.cluster is not None:
            where.append(Report.cluster_id == self.cluster)
        if self.authority is not None:
            where.append(raised_with(org, self.authority))
        if self.q:
            pattern = _like(self.q)
            terms = [Report.description.ilike(pattern, escape="\\"), Report.reference.ilike(pattern, escape="\\"),
                     Report.place_text.ilike(pattern, escape="\\")]
            ref = reports.normalise_reference(self.q)
            if ref:
                terms.append(Report.reference == ref)
            where.append(or_(*terms))
        return where


def authority_of(args: Mapping) -> int | None:
    return _number(args, "authority", "authority must be an authority number from the Authorities page",
                   999_999_999)


def check_authority(services, org: str, f) -> None:
    """An authority filter (`f.authority`, of ReportFilters or the API's ListQuery) names one of the
    organization's authorities (another's answers like an unknown one)."""
    from bot.models import Authority

    if f.authority is None:
        return
    with services.db() as session:
        found = session.scalar(select(Authority.id).where(Authority.id == f.authority, Authority.organization == org))
    if found is None:
        raise FilterError(f"there is no authority {f.authority} in your organization; authority must be an "
                          "authority number from the Authorities page")


def raised_with(org: str, authority: int):
    """The condition on Report: raised with this authority (bot/desk/escalations.py)."""
    return Report.id.in_(select(Escalation.report_id).where(Escalation.organization == org,
                                                           Escalation.authority_id == authority))


def inbox_clauses(services, org: str, f: ReportFilters) -> list:
    """The inbox's and the map's conditions: days as the worker gave them, in the org's zone."""
    return f.clauses(org, dates.org_zone(services.catalog, org), by_occurrence=True,
                     dialect=services.engine.dialect.name)


def status_of(args: Mapping) -> str | None:
    status = _text(args, "status")
    if status is not None and status not in reports.STATUSES:
        raise FilterError(f"unknown status “{status[:40]}”; status must be one of {', '.join(reports.STATUSES)}")
    return status


def category_of(args: Mapping, catalog) -> str | None:
    category = _text(args, "category")
    if category is not None and category not in catalog.categories():
        raise FilterError(f"unknown category “{category[:40]}”; category must be one of "
                          f"{', '.join(catalog.categories())}")
    return category


def check_range(date_from: date | None, date_to: date | None) -> None:
    if date_from and date_to and date_from > date_to:
        raise FilterError("the start date (from) is after the end date (to)")


def start_of_day(day: date, tz: ZoneInfo = UTC) -> datetime:
    """The start of a local day, in UTC (SQLite compares UTC text: the moment must be UTC)."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(timezone.utc)


def place_options(catalog, org: str) -> list[tuple[str, str]]:
    """(value, label) for the market filter: the org's gazetteer, markets first, then areas."""
    places = sorted(catalog.places(org), key=lambda p: (p.kind == "area", p.name("en").lower()))
    options = [(p.id, p.name("en") + (" (area)" if p.kind == "area" else "")) for p in places]
    return options + [(NO_PLACE, "Place not recognised")]


def _text(args: Mapping, name: str) -> str | None:
    return (args.get(name) or "").strip() or None


def _day(args: Mapping, name: str) -> date | None:
    raw = _text(args, name)
    if raw is None:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise FilterError(f"{name} must be a date like 2026-03-31, not “{raw[:20]}”") from None
    if not MIN_DAY <= day <= MAX_DAY:
        raise FilterError(f"{name} must be between {MIN_DAY} and {MAX_DAY}")
    return day


def _number(args: Mapping, name: str, message: str, most: int) -> int | None:
    raw = _text(args, name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw[:10]) <= most:  # "①" is a digit too
        raise FilterError(message)
    return int(raw)


def _like(text_: str) -> str:
    return "%" + text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
