"""The reports inbox's filters: parsed from a request's query arguments with messages an organizer
understands, and turned into SQL conditions. Dates are the organization's local days: a report's date is
the day the worker said it happened, else the local day it arrived."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import func, or_

from bot.desk.report_labels import category_label, status_label
from bot.line import reports
from bot.line.answers import dates
from bot.models import Report

SEARCH_MAX = 100
NO_PLACE = "none"  # market filter value: reports whose place the gazetteer did not recognise


class FilterError(ValueError):
    """A filter value the page cannot use; the message says what would work."""


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    category: str | None = None
    market: str | None = None  # a place id of the org, or NO_PLACE
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None
    cluster: int | None = None
    page: int = 1

    def args(self, **override) -> dict:
        """As URL query arguments (empty ones left out), e.g. for url_for and pager links."""
        values = replace(self, **override) if override else self
        out = {"status": values.status, "category": values.category, "market": values.market,
               "from": values.date_from.isoformat() if values.date_from else None,
               "to": values.date_to.isoformat() if values.date_to else None,
               "q": values.q, "cluster": values.cluster, "page": values.page if values.page != 1 else None}
        return {k: v for k, v in out.items() if v not in (None, "")}

    @property
    def active(self) -> bool:
        return bool(set(self.args()) - {"page"})


def place_options(catalog, org: str) -> list[tuple[str, str]]:
    """(value, label) for the market filter: the org's gazetteer, markets first, then areas."""
    places = sorted(catalog.places(org), key=lambda p: (p.kind == "area", p.name("en").lower()))
    options = [(p.id, p.name("en") + (" (area)" if p.kind == "area" else "")) for p in places]
    return options + [(NO_PLACE, "Place not recognised")]


def _date(args: Mapping, name: str, label: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise FilterError(f"“{label}” must be a date written like 2026-03-14 (you sent “{raw[:40]}”).") from None


def parse_filters(catalog, org: str, args: Mapping) -> Filters:
    """Query arguments -> Filters; raises FilterError with a message an organizer understands."""
    status = (args.get("status") or "").strip() or None
    if status and status not in reports.STATUSES:
        raise FilterError(f"Unknown status “{status[:40]}”. Choose one of: "
                          + ", ".join(status_label(s) for s in reports.STATUSES) + ".")
    category = (args.get("category") or "").strip() or None
    if category and category not in reports.CATEGORIES:
        raise FilterError(f"Unknown category “{category[:40]}”. Choose one of: "
                          + ", ".join(category_label(c) for c in reports.CATEGORIES) + ".")
    market = (args.get("market") or "").strip() or None
    if market and market != NO_PLACE and market not in {p.id for p in catalog.places(org)}:
        raise FilterError(f"“{market[:40]}” is not a market or area of your organization. "
                          "Pick one from the list.")
    date_from, date_to = _date(args, "from", "From"), _date(args, "to", "To")
    if date_from and date_to and date_from > date_to:
        raise FilterError("The “From” date is after the “To” date.")
    q = " ".join((args.get("q") or "").split()) or None
    if q and len(q) > SEARCH_MAX:
        raise FilterError(f"Search for at most {SEARCH_MAX} characters.")
    cluster = None
    raw_cluster = (args.get("cluster") or "").strip()
    if raw_cluster:
        if not (raw_cluster.isascii() and raw_cluster.isdigit()) or len(raw_cluster) > 9:
            raise FilterError("“cluster” must be a cluster number from this page.")
        cluster = int(raw_cluster)
    raw_page = (args.get("page") or "1").strip()
    if not (raw_page.isascii() and raw_page.isdigit()) or not 1 <= int(raw_page) <= 100000:  # "①" is a digit
        raise FilterError("“page” must be a whole number from 1.")
    return Filters(status, category, market, date_from, date_to, q, cluster, int(raw_page))


def _day(tz, dialect: str):
    """A report's date: the day it happened as the worker said, else the local day it arrived."""
    return func.coalesce(Report.occurred_on, dates.day_sql(Report.created_at, tz, dialect))


def _like(text_: str) -> str:
    return "%" + text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def where(services, org: str, f: Filters) -> list:
    where = [Report.organization == org]
    if f.status:
        where.append(Report.status == f.status)
    if f.category:
        where.append(Report.category == f.category)
    if f.market == NO_PLACE:
        where.append(Report.place_id.is_(None))
    elif f.market:
        where.append(Report.place_id == f.market)
    if f.date_from or f.date_to:
        day = _day(dates.org_zone(services.catalog, org), services.engine.dialect.name)
    if f.date_from:
        where.append(day >= f.date_from)
    if f.date_to:
        where.append(day <= f.date_to)
    if f.cluster is not None:
        where.append(Report.cluster_id == f.cluster)
    if f.q:
        pattern = _like(f.q)
        terms = [Report.description.ilike(pattern, escape="\\"), Report.reference.ilike(pattern, escape="\\"),
                 Report.place_text.ilike(pattern, escape="\\")]
        ref = reports.normalise_reference(f.q)
        if ref:
            terms.append(Report.reference == ref)
        where.append(or_(*terms))
    return where
