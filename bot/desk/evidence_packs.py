"""Evidence packs kept with their filter (EvidencePack rows): asked for on the pack's page, made at once for a
small range or in an RQ job for a large one (the page polls the row's state and progress), the finished
PDF stored in the row so it can be downloaded again, and made again from the same filter with today's data.

`run` does the work in steps and records how far it got; the HTML comes from a `render` callable the
caller gives (the pages' template, webhooks/dashboard/evidence.py), so nothing here imports Flask."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select

from bot.desk import evidence, stats
from bot.desk.filters import ReportFilters
from bot.line.answers import dates
from bot.models import EvidencePack, Report, utcnow

INLINE_MAX = 2_000  # reports: up to this many the pack is made while the organizer waits for the page
LISTED = 30
ERROR_MAX = 500


def count(services, org: str, filters: ReportFilters) -> int:
    where = filters.clauses(org, dates.org_zone(services.catalog, org))
    with services.db() as session:
        return session.scalar(select(func.count()).select_from(Report).where(*where)) or 0


def create(services, org: str, filters: ReportFilters, actor: str) -> EvidencePack:
    """A queued pack for this filter (its date range set, as stats.chart_filters sets it)."""
    now = utcnow()
    with services.db.begin() as session:
        row = EvidencePack(organization=org, filters=filters.as_dict(), created_by=actor[:100], state="queued",
                           progress=0, reports=count(services, org, filters), created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        session.expunge(row)
    return row


def filters_of(services, row: EvidencePack) -> ReportFilters:
    """The stored filter, read again as the page reads it (so a pack made again counts the same way)."""
    return stats.chart_filters(row.filters or {}, services.catalog, row.organization)


def run(services, pack_id: int, render: Callable[[evidence.Pack], str], stylesheets: tuple = (),
        now: datetime | None = None) -> EvidencePack | None:
    """Make the pack: figures, map and quotes, the page, the PDF, each step recorded. A failure is
    recorded on the row (and raised again, so RQ marks the job failed too)."""
    row = get(services, None, pack_id)
    if row is None:
        return None
    try:
        _step(services, pack_id, "running", 10)
        pack = evidence.build(services, row.organization, filters_of(services, row), now=now)
        _step(services, pack_id, "running", 50)
        html = render(pack)
        _step(services, pack_id, "running", 70)
        body = evidence.pdf(html, stylesheets)
    except Exception as exc:
        _step(services, pack_id, "failed", 100, error=f"{type(exc).__name__}: {exc}"[:ERROR_MAX])
        raise
    _step(services, pack_id, "done", 100, pdf=body, bytes=len(body), finished_at=utcnow())
    return get(services, row.organization, pack_id)


def _step(services, pack_id: int, state: str, progress: int, **values) -> None:
    with services.db.begin() as session:
        row = session.get(EvidencePack, pack_id)
        if row is not None:
            row.state, row.progress, row.updated_at = state, progress, utcnow()
            for name, value in values.items():
                setattr(row, name, value)


def get(services, org: str | None, pack_id: int) -> EvidencePack | None:
    """One pack of `org` (None: any, for the job that has only the id), without its PDF."""
    with services.db() as session:
        row = session.get(EvidencePack, pack_id)
        if row is None or (org is not None and row.organization != org):
            return None
        session.expunge(row)
        return row


def pdf(services, org: str, pack_id: int) -> bytes | None:
    with services.db() as session:
        return session.scalar(select(EvidencePack.pdf).where(EvidencePack.id == pack_id,
                                                             EvidencePack.organization == org))


def listing(services, org: str, limit: int = LISTED) -> list[EvidencePack]:
    """The organization's packs, newest first (without their PDFs)."""
    with services.db() as session:
        rows = session.scalars(select(EvidencePack).where(EvidencePack.organization == org)
                               .order_by(EvidencePack.created_at.desc(), EvidencePack.id.desc()).limit(limit)).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def status(row: EvidencePack) -> dict:
    """What the pack's page polls."""
    return {"id": row.id, "state": row.state, "progress": row.progress, "bytes": row.bytes,
            "reports": row.reports, "error": row.error if row.state == "failed" else None}
