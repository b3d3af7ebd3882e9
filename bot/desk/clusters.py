"""Groups of reports of one category at one place (ReportCluster, made by bot/line/reports.py as reports
arrive) as the reports pages summarise them: "12 confiscations at Gikomba today"."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.desk.filters import NO_PLACE, ReportFilters
from bot.desk.report_labels import PLURALS, category_label
from bot.line import reports
from bot.line.answers import dates
from bot.models import Report, ReportCluster, utcnow

CLUSTER_HOURS = 72  # cluster summaries on top of the inbox: groups still growing in the last 3 days


@dataclass(frozen=True)
class ClusterSummary:
    id: int
    category: str
    place: str
    count: int
    first_at: datetime
    last_at: datetime
    phrase: str  # "confiscations at Gikomba today"

    @property
    def text(self) -> str:  # "12 confiscations at Gikomba today"
        return f"{self.count} {self.phrase}"


def _when(first_at: datetime, now: datetime, tz=None) -> str:
    tz = tz or dates.zone(None)
    days = (dates.local_day(now, tz) - dates.local_day(first_at, tz)).days
    if days <= 0:
        return "today"
    if days == 1:
        return "since yesterday"
    first_at = first_at.astimezone(tz) if first_at.tzinfo else first_at
    return f"since {first_at.day} {first_at:%b}"


def _summary(catalog, c: ReportCluster, count: int, now: datetime) -> ClusterSummary:
    tz = dates.org_zone(catalog, c.organization)
    where = reports.place_name(catalog, c.place_id) or c.place_text or "one place"
    noun = PLURALS.get(c.category, c.category) if count != 1 else category_label(c.category) + " report"
    return ClusterSummary(c.id, c.category, where, count, c.first_at, c.last_at,
                          f"{noun} at {where} {_when(c.first_at, now, tz)}")


def _counted(org: str, cluster_ids):
    """(cluster, reports in it now) for the given cluster ids (a list or a select of ids) of this org."""
    counts = (select(Report.cluster_id, func.count(Report.id).label("n"))
              .where(Report.organization == org, Report.cluster_id.in_(cluster_ids))
              .group_by(Report.cluster_id).subquery())
    return (select(ReportCluster, counts.c.n).join(counts, counts.c.cluster_id == ReportCluster.id)
            .where(ReportCluster.organization == org))


def cluster_summaries(services, org: str, f: ReportFilters | None = None, *, hours: int = CLUSTER_HOURS,
                      minimum: int = 2, limit: int = 6) -> list[ClusterSummary]:
    """Groups of reports (one category, one place) still growing lately, biggest first; the inbox's
    category and market filters narrow them."""
    now = utcnow()
    recent = select(ReportCluster.id).where(ReportCluster.organization == org,
                                            ReportCluster.last_at >= now - timedelta(hours=hours),
                                            ReportCluster.count >= minimum)
    if f and f.category:
        recent = recent.where(ReportCluster.category == f.category)
    if f and f.market == NO_PLACE:
        recent = recent.where(ReportCluster.place_id.is_(None))
    elif f and f.market:
        recent = recent.where(ReportCluster.place_id == f.market)
    with services.db() as session:
        rows = session.execute(_counted(org, recent)).all()
    found = [_summary(services.catalog, c, n, now) for c, n in rows if n >= minimum]
    return sorted(found, key=lambda s: (-s.count, -s.last_at.timestamp()))[:limit]


def cluster(services, org: str, cluster_id: int) -> ClusterSummary | None:
    """One cluster of this organization (None for another org's or an unknown id)."""
    with services.db() as session:
        row = session.execute(_counted(org, [cluster_id])).first()
        if row is None:
            c = session.scalars(select(ReportCluster).where(ReportCluster.organization == org,
                                                            ReportCluster.id == cluster_id)).first()
            row = (c, 0) if c else None
    return _summary(services.catalog, row[0], row[1], utcnow()) if row else None
