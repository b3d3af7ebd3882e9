"""Figures for advocacy: reports by category, place and week, members by trade and market.

One organization at a time, always; days are the organization's local days (`timezone:` in its
content/orgs/<slug>/org.yaml): a report's day is the local day the line received it. The figures are
meant to leave the organization, so every count from 1 to K-1 shows as "<K" (bot/desk/suppression.py,
SUPPRESS_BELOW). The reports counted are chosen by the one report filter (bot/desk/filters.py), as
bot/desk/exports.py chooses its rows, so a chart and the export made beside it count the same reports.
Nothing here imports Flask.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select

from bot.desk import suppression
from bot.desk.filters import FilterError, ReportFilters, check_range, start_of_day
from bot.desk.report_labels import category_label
from bot.line.answers import dates
from bot.line.reports import place_name
from bot.models import Member, Report

# The charts page shows at most this many days at once (a weekly chart of 5 years is 260 bars).
MAX_CHART_DAYS = 5 * 366
DEFAULT_CHART_DAYS = 12 * 7
UNPLACED = ""  # the key for "no gazetteer place" in the by-place figures


def chart_filters(args: Mapping, catalog, org: str, today: date | None = None) -> ReportFilters:
    """The charts page's filters: the last 12 weeks unless a range is given, at most 5 years."""
    filters = ReportFilters.parse(args, catalog, org)
    today = today or dates.local_today(catalog.organizations.get(org))
    date_to = filters.date_to or today
    date_from = filters.date_from or (date_to - timedelta(days=DEFAULT_CHART_DAYS - 1))
    check_range(date_from, date_to)
    if (date_to - date_from).days + 1 > MAX_CHART_DAYS:
        raise FilterError("choose a range of at most 5 years for the charts")
    return filters.with_range(date_from, date_to)


# --------------------------------------------------------------------------- figures


@dataclass
class Series:
    """One chart's numbers: labels and counts in display order (keys are the stored values). `k` is the
    suppression threshold: `shown` and `json` never hold a count from 1 to k-1 (see bot/desk/suppression.py)."""

    keys: list[str]
    labels: list[str]
    values: list[int]  # the true counts: for computing, never for showing
    k: int = 1

    def __post_init__(self):
        self.hidden = suppression.hide_line(self.values, self.k)

    @property
    def total(self) -> int:
        return sum(self.values)

    @property
    def shown(self) -> list[int | str]:
        return [suppression.show(n, self.k, h) for n, h in zip(self.values, self.hidden)]

    @property
    def shown_total(self) -> int | str:
        return suppression.show(self.total, self.k)

    def share(self, i: int) -> str:
        """Cell i's share of the total, "" where the cell or the total is hidden."""
        total = self.total
        if not total or self.hidden[i] or suppression.small(total, self.k):
            return ""
        return f"{round(100 * self.values[i] / total, 1)}%"

    def rows(self) -> list[tuple[str, str, int | str, str]]:
        """(key, label, count or marker, share) per cell."""
        return [(key, label, value, self.share(i))
                for i, (key, label, value) in enumerate(zip(self.keys, self.labels, self.shown))]

    def json(self) -> dict:
        """`values`: the counts to draw, null where hidden; `shown`: what the table shows."""
        return {"keys": self.keys, "labels": self.labels, "suppressed_below": self.k,
                "values": [None if h or suppression.small(n, self.k) else n for n, h in zip(self.values, self.hidden)],
                "shown": [str(v) for v in self.shown], "total": str(self.shown_total)}


@dataclass
class Weekly:
    """Reports per ISO week (Monday start), one column of counts per category that has any; cells
    hidden as a grid (bot/desk/suppression.hide_grid), category totals as in `by_category`."""

    weeks: list[date]
    categories: list[str]
    counts: dict[str, list[int]] = field(default_factory=dict)  # category -> true count per week
    k: int = 1
    category_totals: dict[str, int | str] = field(default_factory=dict)  # as shown by by_category

    def __post_init__(self):
        grid = [[self.counts[c][i] for c in self.categories] for i in range(len(self.weeks))]
        hidden = suppression.hide_grid(grid, self.k)
        self.hidden = {c: [hidden[i][j] for i in range(len(self.weeks))] for j, c in enumerate(self.categories)}

    def cell(self, category: str, i: int) -> int | str:
        return suppression.show(self.counts[category][i], self.k, self.hidden[category][i])

    def totals(self) -> list[int | str]:
        return [suppression.show(sum(self.counts[c][i] for c in self.categories), self.k)
                for i in range(len(self.weeks))]

    def category_total(self, category: str) -> int | str:
        return self.category_totals.get(category, suppression.show(sum(self.counts[category]), self.k))

    @property
    def total(self) -> int | str:
        return suppression.show(sum(sum(v) for v in self.counts.values()), self.k)

    def json(self) -> dict:
        def drawn(c: str, i: int):
            return None if isinstance(self.cell(c, i), str) else self.counts[c][i]

        return {"weeks": [w.isoformat() for w in self.weeks], "labels": [week_label(w) for w in self.weeks],
                "categories": self.categories, "category_labels": [category_label(c) for c in self.categories],
                "suppressed_below": self.k,
                "counts": [[drawn(c, i) for i in range(len(self.weeks))] for c in self.categories],
                "shown": [[str(self.cell(c, i)) for i in range(len(self.weeks))] for c in self.categories],
                "totals": [str(t) for t in self.totals()]}


@dataclass
class Figures:
    filters: ReportFilters
    reports: int | str  # as shown ("<5" when small)
    by_category: Series
    by_place: Series
    by_week: Weekly
    members: int | str
    members_by_trade: Series
    members_by_place: Series
    any_reports: bool = False
    any_members: bool = False
    timezone: str = "UTC"
    suppressed_below: int = 1

    def json(self) -> dict:
        return {"filters": self.filters.as_dict(), "reports": self.reports, "members": self.members,
                "timezone": self.timezone, "suppressed_below": self.suppressed_below,
                "by_category": self.by_category.json(), "by_place": self.by_place.json(),
                "by_week": self.by_week.json(), "members_by_trade": self.members_by_trade.json(),
                "members_by_place": self.members_by_place.json()}


def trade_label(trade: str) -> str:
    return trade.replace("_", " ").replace("-", " ")


def week_label(monday: date) -> str:
    return f"{monday:%d %b %Y}"


def place_label(catalog, place_id: str | None, unplaced: str, lang: str = "en") -> str:
    return place_name(catalog, place_id, lang) or unplaced


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def figures(services, org: str, filters: ReportFilters, lang: str = "en", *, k: int | None = None) -> Figures:
    """Every chart of the data page, for `org`, with `filters` (its date range must be set). `k`:
    suppress counts below it (default: the SUPPRESS_BELOW setting)."""
    if filters.date_from is None or filters.date_to is None:
        raise ValueError("the charts need a date range (see chart_filters)")
    k = k if k is not None else services.settings.suppress_below
    catalog = services.catalog
    tz = dates.org_zone(catalog, org)
    where = filters.clauses(org, tz)
    members_until = start_of_day(filters.date_to + timedelta(days=1), tz)
    with services.db() as session:
        by_cat = dict(session.execute(select(Report.category, func.count()).where(*where)
                                      .group_by(Report.category)).all())
        by_place = dict(session.execute(select(Report.place_id, func.count()).where(*where)
                                        .group_by(Report.place_id)).all())
        day = dates.day_sql(Report.created_at, tz, session.get_bind().dialect.name)
        daily = session.execute(select(day, Report.category, func.count()).where(*where)
                                .group_by(day, Report.category)).all()
        member_where = (Member.organization == org, Member.created_at < members_until)
        by_trade = dict(session.execute(select(Member.trade, func.count()).where(*member_where)
                                        .group_by(Member.trade)).all())
        members_place = dict(session.execute(select(Member.place_id, func.count()).where(*member_where)
                                             .group_by(Member.place_id)).all())

    categories = list(catalog.categories()) + sorted(set(by_cat) - set(catalog.categories()))
    category_series = Series(categories, [category_label(c) for c in categories],
                             [by_cat.get(c, 0) for c in categories], k)

    weeks, monday = [], _monday(filters.date_from)
    while monday <= filters.date_to:
        weeks.append(monday)
        monday += timedelta(days=7)
    index = {w: i for i, w in enumerate(weeks)}
    present = {category for _, category, _ in daily}
    shown = [c for c in categories if c in present]
    counts = {c: [0] * len(weeks) for c in shown}
    for day_, category, n in daily:  # days folded into weeks here: the same on PostgreSQL and SQLite
        received = day_ if isinstance(day_, date) else date.fromisoformat(str(day_)[:10])
        counts[category][index[_monday(received)]] += n
    category_totals = dict(zip(category_series.keys, category_series.shown))
    by_week = Weekly(weeks, shown, counts, k, {c: category_totals[c] for c in shown})

    trades = list(catalog.trades()) + sorted(set(by_trade) - set(catalog.trades()))
    trades = [t for t in trades if by_trade.get(t)] or list(catalog.trades())
    reports, members = sum(by_cat.values()), sum(by_trade.values())
    return Figures(
        filters=filters,
        reports=suppression.show(reports, k),
        by_category=category_series,
        by_place=_place_series(catalog, by_place, "Place not matched", lang, k),
        by_week=by_week,
        members=suppression.show(members, k),
        members_by_trade=Series(trades, [trade_label(t) for t in trades], [by_trade.get(t, 0) for t in trades], k),
        members_by_place=_place_series(catalog, members_place, "No market given", lang, k),
        any_reports=reports > 0,
        any_members=members > 0,
        timezone=tz.key,
        suppressed_below=k,
    )


def _place_series(catalog, counts: dict, unplaced: str, lang: str, k: int) -> Series:
    """Most first; the unmatched bucket last whatever its size (it is not a place)."""
    placed = sorted(((pid, n) for pid, n in counts.items() if pid), key=lambda kv: (-kv[1], kv[0]))
    if counts.get(None):
        placed.append((None, counts[None]))
    return Series([pid or UNPLACED for pid, _ in placed], [place_label(catalog, pid, unplaced, lang) for pid, _ in placed],
                  [n for _, n in placed], k)
