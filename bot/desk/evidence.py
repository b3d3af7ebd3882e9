"""Evidence packs: a dated brief organizers can put on the table, from any filter of the data page.

Its numbers are the data page's (bot/desk/stats.figures on the one report filter, bot/desk/filters.py,
suppressed below K as the page and the exports are; an authority filter keeps the reports raised with it),
plus a map of places (bot/desk/pack_map.py), the age of the cases still open, how each authority responds
(bot/desk/scorecards.py, no figures under 10 cases) and a few anonymised quotes from reporters who agreed
to be quoted (bot/desk/quotes.py). Charts are SVG drawn by pygal;
the page (webhooks/dashboard/evidence.py) lays them out in the organization's language and WeasyPrint
turns that into the PDF (`pdf`). Nothing here imports Flask."""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from bot.desk import pack_map, quotes, scorecards, stats, suppression
from bot.desk.filters import ReportFilters
from bot.line.answers import dates
from bot.models import Report, utcnow

OPEN = ("new", "verified", "in_progress")
AGE_BUCKETS = ((0, 7), (8, 30), (31, 90), (91, None))  # days since the report arrived


@dataclass
class Pack:
    organization: str
    filters: ReportFilters
    generated_at: datetime
    figures: stats.Figures
    open_ages: list = field(default_factory=list)  # [(low, high or None, shown count)]
    cards: list = field(default_factory=list)  # scorecards.Scorecard per authority
    places: pack_map.PlaceMap = field(default_factory=pack_map.PlaceMap)
    quotes: list = field(default_factory=list)  # quotes.Quote, at most quotes.QUOTES_MAX
    authority: str | None = None  # the name of the authority filtered on

    def counts(self) -> dict:
        """Every count the brief shows (as shown: "<K" for a small one), keyed by table: what the random
        filter test compares with the data page, from the same object the PDF is drawn from."""
        w = self.figures.by_week
        return {"reports": self.figures.reports,
                "categories": [v for v in self.figures.by_category.shown if v != 0],
                "weeks": list(w.totals()),
                "places": list(self.figures.by_place.shown),
                "ages": [v for _, _, v in self.open_ages],
                "map": [p.count for p in self.places.points]}

    def charts(self, labels: dict | None = None) -> dict:
        """SVG charts as data: URIs (pygal): reports per week, per category, the map of places (None when
        no point; its dots numbered as the rows of the map's table). `labels` translates the category keys;
        counts hidden by suppression are left out of the bars, never drawn small."""
        pygal = _pygal()
        from pygal.style import CleanStyle

        labels = labels or {}
        style = CleanStyle(font_family="DejaVu Sans, sans-serif", background="white", plot_background="white")
        weekly = pygal.Bar(style=style, width=800, height=320, show_legend=False, x_label_rotation=45,
                           print_values=False, disable_xml_declaration=True)
        w = self.figures.by_week
        weekly.x_labels = [f"{m:%d/%m}" for m in w.weeks]
        totals = w.totals()
        weekly.add("", [t if isinstance(t, int) else None for t in totals])
        category = pygal.HorizontalBar(style=style, width=800, height=360, show_legend=False,
                                       disable_xml_declaration=True)
        series = self.figures.by_category
        shown = [(k, v) for k, v in zip(series.keys, series.shown) if v != 0]
        category.x_labels = [str(labels.get(k, k)) for k, _ in shown]
        category.add("", [v if isinstance(v, int) else None for _, v in shown])
        out = {name: "data:image/svg+xml;base64," + base64.b64encode(chart.render(is_unicode=True).encode()).decode()
               for name, chart in (("weekly", weekly), ("categories", category))}
        out["map"] = self.places.svg(pygal)
        return out


def build(services, org: str, filters: ReportFilters, *, now: datetime | None = None) -> Pack:
    """The pack for this filter (its date range set, as stats.chart_filters sets it)."""
    now = now or utcnow()
    figures = stats.figures(services, org, filters)
    k = figures.suppressed_below
    tz = dates.org_zone(services.catalog, org)
    where = filters.clauses(org, tz)
    ages = []
    with services.db() as session:
        for low, high in AGE_BUCKETS:
            clauses = [*where, Report.status.in_(OPEN)]
            if high is not None:
                clauses.append(Report.created_at > now - _days(high + 1))
            clauses.append(Report.created_at <= now - _days(low))
            n = session.scalar(select(func.count()).select_from(Report).where(*clauses)) or 0
            ages.append((low, high, suppression.show(n, k)))
    cards = scorecards.scorecards(services, org, filters.date_from, filters.date_to)
    authority = None
    if filters.authority is not None:
        cards = [c for c in cards if c.authority_id == filters.authority]
        authority = _authority_name(services, org, filters.authority)
    by_place = figures.by_place
    hidden = frozenset(key for key, shown in zip(by_place.keys, by_place.shown) if not isinstance(shown, int))
    return Pack(org, filters, now, figures, ages, cards, places=pack_map.build(services, org, where, k, hidden),
                quotes=quotes.pick(services, org, where, k), authority=authority)


def _authority_name(services, org: str, authority_id: int) -> str | None:
    from bot.models import Authority

    with services.db() as session:
        return session.scalar(select(Authority.name).where(Authority.id == authority_id,
                                                           Authority.organization == org))


def pdf(html: str, stylesheets: tuple = ()) -> bytes:
    """The brief as PDF (WeasyPrint: needs Pango, scripts/system-deps.sh), styled by the given CSS files.
    Nothing is fetched over the network: the charts are inline data, and any other URL in the page is
    refused rather than fetched (the page holds what workers and organizers typed)."""
    from pathlib import Path

    from weasyprint import CSS, HTML, URLFetcher

    data_only = URLFetcher(allowed_protocols=("data",), allow_redirects=False)
    return HTML(string=html, url_fetcher=data_only).write_pdf(
        stylesheets=[CSS(string=Path(path).read_text(encoding="utf-8"), url_fetcher=data_only)
                     for path in stylesheets])


def _pygal():
    """pygal, without the import hook it adds for its map plugins (a finder with only the long-deprecated
    find_module: every later failed import, e.g. fontTools trying brotlicffi, then warns). We draw no maps."""
    import sys

    import pygal

    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]
    return pygal


def _days(n: int):
    from datetime import timedelta

    return timedelta(days=n)
