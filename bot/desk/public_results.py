"""The public results page's figures: for an organization that publishes them (org.yaml `public_results:
true`), how many reports came in over the last 3, 6 or 12 months, per city, by category and by status.

Anyone can read it (journalists, the organization's own site), so it holds counts only: no report text,
no reference, no place finer than a city, no day, no number. Every count goes through suppression
(bot/desk/suppression.py, K = SUPPRESS_BELOW): a count from 1 to K-1 shows as "<K", and since each line
shows its total, a line with one hidden cell hides the next smallest too ("≥K"). The cities' totals are
such a line as well (the overall total is shown). Nothing here imports Flask."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select

from bot.desk import suppression
from bot.desk.filters import start_of_day
from bot.line import reports
from bot.line.answers import dates
from bot.models import Report

PERIODS = {3: 91, 6: 182, 12: 365}  # months a reader can choose -> days counted back from today
DEFAULT_MONTHS = 12
NO_CITY = ""  # reports whose place was not recognised: no city to put them in


@dataclass
class City:
    name: str  # NO_CITY for reports whose place was not recognised
    total: int | str
    categories: list = field(default_factory=list)  # [(category, shown)], categories with reports
    statuses: list = field(default_factory=list)  # [(status, shown)], in reports.STATUSES order


@dataclass
class Summary:
    organization: str
    date_from: date
    date_to: date
    months: int
    total: int | str
    cities: list[City]
    suppressed_below: int


def enabled(catalog, org: str) -> bool:
    found = catalog.organizations.get(org)
    return bool(found and found.public_results)


def summary(services, org: str, today: date | None = None, months: int = DEFAULT_MONTHS) -> Summary:
    """The figures for the last `months` (one of PERIODS) up to today, in the organization's days."""
    catalog = services.catalog
    k = services.settings.suppress_below
    tz = dates.org_zone(catalog, org)
    today = today or dates.local_today(catalog.organizations.get(org))
    date_from = today - timedelta(days=PERIODS[months] - 1)
    city_of = {p.id: p.city for p in catalog.places(org)}
    with services.db() as session:
        rows = session.execute(
            select(Report.place_id, Report.category, Report.status, func.count())
            .where(Report.organization == org, Report.created_at >= start_of_day(date_from, tz),
                   Report.created_at < start_of_day(today + timedelta(days=1), tz))
            .group_by(Report.place_id, Report.category, Report.status)).all()
    counts: dict[str, dict] = {}
    for place_id, category, status, n in rows:
        city = city_of.get(place_id, NO_CITY) if place_id else NO_CITY
        c = counts.setdefault(city, {"categories": {}, "statuses": {}})
        c["categories"][category] = c["categories"].get(category, 0) + n
        c["statuses"][status] = c["statuses"].get(status, 0) + n
    names = [city for city in catalog.organizations[org].cities if city in counts]
    names += sorted(set(counts) - set(names) - {NO_CITY}) + ([NO_CITY] if NO_CITY in counts else [])
    totals = [sum(counts[name]["categories"].values()) for name in names]
    total_hidden = suppression.hide_line(totals, k)
    cities = []
    for name, total, hidden in zip(names, totals, total_hidden):
        by_cat = counts[name]["categories"]
        keys = [c for c in catalog.categories() if by_cat.get(c)] + sorted(set(by_cat) - set(catalog.categories()))
        by_status = counts[name]["statuses"]
        statuses = [s for s in reports.STATUSES if by_status.get(s)]
        cities.append(City(name, suppression.show(total, k, hidden), _line(keys, by_cat, k),
                           _line(statuses, by_status, k)))
    return Summary(org, date_from, today, months, suppression.show(sum(totals), k), cities, k)


def _line(keys: list[str], counts: dict, k: int) -> list:
    values = [counts[key] for key in keys]
    hidden = suppression.hide_line(values, k)
    return [(key, suppression.show(n, k, h)) for key, n, h in zip(keys, values, hidden)]
