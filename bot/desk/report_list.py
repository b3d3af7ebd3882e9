"""The reports API's listing (GET /api/v1/reports): one page of an organization's reports with their
media, history and clusters, as JSON-ready dicts. Phone numbers masked, anonymous reporters never shown."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select

from bot.desk.filters import FilterError, authority_of, category_of, check_authority, raised_with, status_of
from bot.line.answers.places import resolve_typed
from bot.line.reports import place_name
from bot.models import Contact, Member, Report, ReportCluster, ReportEvent, ReportMedia

MAX_PER_PAGE = 100
MAX_PAGE = 100_000


@dataclass(frozen=True)
class ListQuery:
    """The API's query: status, category and authority as the report filter checks them
    (bot/desk/filters.py); a market by place id or name (matched like a worker's typed place, else a typed
    place text); reports received since a moment; a page."""

    status: str | None = None
    category: str | None = None
    market: str | None = None
    since: datetime | None = None
    page: int = 1
    per_page: int = 50
    authority: int | None = None  # reports raised with this authority (GET /api/v1/authorities)

    @classmethod
    def parse(cls, args: Mapping, catalog) -> ListQuery:
        """Raises FilterError with the message the API answers 400 with."""
        status, category = status_of(args), category_of(args, catalog)
        try:
            since = _since(args["since"]) if args.get("since") else None
        except ValueError:
            raise FilterError("since must be an ISO 8601 date or time, e.g. 2026-11-25 or 2026-11-25T08:00:00Z") from None
        try:
            page = int(args.get("page", 1))
            per_page = int(args.get("per_page", 50))
        except ValueError:
            raise FilterError("page and per_page must be whole numbers") from None
        if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= MAX_PER_PAGE:  # a huge page overflows OFFSET
            raise FilterError(f"page must be from 1 to {MAX_PAGE} and per_page between 1 and {MAX_PER_PAGE}")
        return cls(status, category, args.get("market") or None, since, page, per_page, authority_of(args))


def _since(raw: str) -> datetime:
    value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def list_reports(services, org: str, q: ListQuery) -> dict:
    catalog = services.catalog
    status, category, market, since, page, per_page = q.status, q.category, q.market, q.since, q.page, q.per_page
    query = select(Report).where(Report.organization == org)
    if status:
        query = query.where(Report.status == status)
    if category:
        query = query.where(Report.category == category)
    if market:
        place_ids = {p.id for p in catalog.places(org)}
        if market in place_ids:
            query = query.where(Report.place_id == market)
        else:
            matched = resolve_typed(catalog, org, market).place_id
            query = query.where(Report.place_id == matched) if matched else \
                query.where(func.lower(Report.place_text) == market.strip().lower())
    if since:
        query = query.where(Report.created_at >= since)
    if q.authority is not None:
        check_authority(services, org, q)  # FilterError: another organization's or an unknown one
        query = query.where(raised_with(org, q.authority))
    with services.db() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery()))
        rows = list(session.scalars(query.order_by(Report.created_at.desc(), Report.id.desc())
                                    .offset((page - 1) * per_page).limit(per_page)))
        ids = [r.id for r in rows]
        contacts = {c.id: c for c in session.scalars(select(Contact).where(
            Contact.id.in_({r.contact_id for r in rows if r.contact_id and not r.anonymous})))}
        members = {m.id: m for m in session.scalars(select(Member).where(
            Member.id.in_({r.member_id for r in rows if r.member_id and not r.anonymous})))}
        media: dict[int, list] = {}
        for m in session.scalars(select(ReportMedia).where(ReportMedia.report_id.in_(ids)).order_by(ReportMedia.id)):
            media.setdefault(m.report_id, []).append(m)
        events: dict[int, list] = {}
        for e in session.scalars(select(ReportEvent).where(ReportEvent.report_id.in_(ids)).order_by(ReportEvent.id)):
            events.setdefault(e.report_id, []).append(e)
        clusters = {c.id: c for c in session.scalars(select(ReportCluster).where(
            ReportCluster.id.in_({r.cluster_id for r in rows if r.cluster_id})))}
    return {
        "reports": [report_json(catalog, r, contacts, members, media.get(r.id, []), events.get(r.id, []))
                    for r in rows],
        "clusters": [cluster_json(catalog, c) for c in sorted(clusters.values(), key=lambda c: -c.count)],
        "page": page,
        "per_page": per_page,
        "total": total,
        "next_page": page + 1 if page * per_page < total else None,
    }


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def report_json(catalog, r: Report, contacts: dict, members: dict, media: list, events: list) -> dict:
    from bot.phones import mask

    reporter = None
    if not r.anonymous:
        contact, member = contacts.get(r.contact_id), members.get(r.member_id)
        reporter = {"phone": mask(contact.phone) if contact else None,
                    "member_number": member.number if member else None,
                    "name": member.name if member else None}
    return {
        "reference": r.reference,
        "status": r.status,
        "category": r.category,
        "description": r.description,
        "place": {"id": r.place_id, "name": place_name(catalog, r.place_id), "text": r.place_text},
        "location": ({"lat": r.latitude, "lon": r.longitude, "address": r.address}
                     if r.latitude is not None else None),
        "occurred_on": _iso(r.occurred_on),
        "occurred_text": r.occurred_text,
        "channel": r.channel,
        "language": r.language,
        "anonymous": r.anonymous,
        "reporter": reporter,
        "cluster_id": r.cluster_id,
        "media": [{"id": m.id, "content_type": m.content_type, "status": m.status, "size": m.size}
                  for m in media],
        "history": [{"from": e.from_status, "to": e.to_status, "note": e.note, "by": e.actor,
                     "at": _iso(e.created_at), "notified": e.notification_id is not None} for e in events],
        "created_at": _iso(r.created_at),
        "updated_at": _iso(r.updated_at),
    }


def cluster_json(catalog, c: ReportCluster) -> dict:
    where = place_name(catalog, c.place_id) or c.place_text or "?"
    noun = c.category.replace("_", "/") + (" report" if c.count == 1 else " reports")
    return {"id": c.id, "category": c.category, "place": {"id": c.place_id, "name": where}, "count": c.count,
            "first_at": _iso(c.first_at), "last_at": _iso(c.last_at),
            "summary": f"{c.count} {noun} at {where} since {c.first_at:%Y-%m-%d %H:%M} UTC"}
